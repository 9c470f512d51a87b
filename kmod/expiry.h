/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_EXPIRY_H
#define _L4LB_EXPIRY_H

struct l4lb_net;

/* Buckets and entries the sweep looks at before it yields the CPU. */
#define L4LB_SWEEP_BUDGET	1024

void l4lb_expiry_init(struct l4lb_net *ln);
void l4lb_expiry_start(struct l4lb_net *ln);
void l4lb_expiry_stop(struct l4lb_net *ln);
unsigned int l4lb_expiry_step(struct l4lb_net *ln, unsigned int budget,
			      bool *done);

#endif /* _L4LB_EXPIRY_H */
