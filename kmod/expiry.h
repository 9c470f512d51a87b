/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_EXPIRY_H
#define _L4LB_EXPIRY_H

#include "backend.h"
#include "conn.h"
#include "netns.h"

/* Buckets and entries the sweep looks at before it yields the CPU. */
#define L4LB_SWEEP_BUDGET	1024
/* Roughly how long a pass over a big table takes, without a backlog. */
#define L4LB_SWEEP_PASS		(10UL * HZ)

/*
 * A backend whose flows are removed: it failed its health checks and the
 * namespace drops such flows. Under RCU, or holding a reference on it.
 */
static inline bool l4lb_backend_down_drops(const struct l4lb_net *ln,
					   const struct l4lb_backend *be)
{
	return unlikely(READ_ONCE(be->down)) &&
	       READ_ONCE(ln->down_flows) == L4LB_DOWN_FLOWS_DROP;
}

/* A flow to remove for its backend's sake. Under RCU: it pins its backend. */
static inline bool l4lb_conn_backend_down(const struct l4lb_net *ln,
					  const struct l4lb_conn *conn)
{
	return l4lb_backend_down_drops(ln, conn->be);
}

void l4lb_expiry_init(struct l4lb_net *ln);
void l4lb_expiry_start(struct l4lb_net *ln);
void l4lb_expiry_stop(struct l4lb_net *ln);
unsigned int l4lb_expiry_step(struct l4lb_net *ln, unsigned int budget,
			      bool *done);
unsigned long l4lb_expiry_delay(unsigned int gone, unsigned int budget,
				unsigned int pass_cost, bool done);

#endif /* _L4LB_EXPIRY_H */
