/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_EXPIRY_H
#define _L4LB_EXPIRY_H

#include "backend.h"
#include "conn.h"
#include "netns.h"

/* Buckets and entries the sweep looks at before it yields the CPU. */
#define L4LB_SWEEP_BUDGET	1024
/*
 * Roughly how long a pass over a big table takes, without a backlog: the
 * cost of a million flows (and their two million buckets) spread over 30
 * s, in steps of at most L4LB_SWEEP_BUDGET (KUnit's bench sweeps a million
 * expired flows in well under a second of UML's time, no step over half a
 * millisecond). An expired flow is dead to the packet path at once, and a
 * full table evicts expired flows first: a slow pass only keeps their
 * memory a while.
 */
#define L4LB_SWEEP_PASS		(30UL * HZ)

/*
 * A backend whose TCP flows are ended: it failed its health checks and the
 * namespace drops or resets such flows. Under RCU, or holding a reference.
 */
static inline bool l4lb_backend_down_drops(const struct l4lb_net *ln,
					   const struct l4lb_backend *be)
{
	return unlikely(READ_ONCE(be->down)) &&
	       READ_ONCE(ln->down_flows) != L4LB_DOWN_FLOWS_KEEP;
}

/*
 * Down, deleted, or a fallback server on standby (another backend can
 * serve): its flows have no future there. Under RCU.
 */
static inline bool l4lb_backend_gone(const struct l4lb_backend *be)
{
	return unlikely(READ_ONCE(be->down) || READ_ONCE(be->removed) ||
			READ_ONCE(be->standby));
}

/*
 * A flow whoever meets it (the sweep, a packet) removes for its backend's
 * sake: a UDP session whose backend is down, deleted or a fallback server
 * on standby, which moves at its next datagram; a TCP flow whose backend
 * is down, with down-flows drop (with reset the client's next packet
 * removes it, and gets a RST). Under RCU: the flow pins its backend.
 */
static inline bool l4lb_conn_backend_down(const struct l4lb_net *ln,
					  const struct l4lb_conn *conn)
{
	if (conn->be->key.proto == IPPROTO_UDP)
		return l4lb_backend_gone(conn->be);
	return unlikely(READ_ONCE(conn->be->down)) &&
	       READ_ONCE(ln->down_flows) == L4LB_DOWN_FLOWS_DROP;
}

void l4lb_expiry_init(struct l4lb_net *ln);
void l4lb_expiry_start(struct l4lb_net *ln);
void l4lb_expiry_stop(struct l4lb_net *ln);
unsigned int l4lb_expiry_step(struct l4lb_net *ln, unsigned int budget,
			      bool *done);
unsigned long l4lb_expiry_delay(unsigned int gone, unsigned int budget,
				unsigned int pass_cost, bool done);

#endif /* _L4LB_EXPIRY_H */
