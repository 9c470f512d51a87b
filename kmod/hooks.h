/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_HOOKS_H
#define _L4LB_HOOKS_H

#include <linux/bottom_half.h>
#include <linux/netfilter.h>
#include <linux/preempt.h>

struct l4lb_net;

/* Bits of &l4lb_net.hooks_on: whose hooks are registered. */
#define L4LB_HOOKS_V4	1
#define L4LB_HOOKS_V6	2
/* Local clients' (local.c), while a service of the family has the flag. */
#define L4LB_HOOKS_LOCAL4	4
#define L4LB_HOOKS_LOCAL6	8

int l4lb_hooks_register(struct l4lb_net *ln, u8 family);
void l4lb_hooks_sync(struct l4lb_net *ln);
void l4lb_hooks_unregister(struct l4lb_net *ln);

int l4lb_local_hooks_register(struct l4lb_net *ln, u8 family);
void l4lb_local_hooks_sync(struct l4lb_net *ln);
void l4lb_local_hooks_unregister(struct l4lb_net *ln);

/* The hook functions, for l4lb's KUnit suites to feed packets to. */
unsigned int l4lb_pre_routing(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state);
unsigned int l4lb_post_routing(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state);
unsigned int l4lb_pre_routing6(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state);
unsigned int l4lb_local_out(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state);
unsigned int l4lb_local_in(void *priv, struct sk_buff *skb,
			   const struct nf_hook_state *state);

/*
 * Runs hook @fn with bottom halves off, as the packet path assumes (per-CPU
 * counters, flows made and changed): a packet in softirq has them off
 * already and pays nothing; one in process context does not (a local
 * backend's reply at POST_ROUTING, a packet NFQUEUE re-injects:
 * nf_reinject() runs the hooks after the queue's with them on).
 */
static __always_inline unsigned int l4lb_hook_bh_off(nf_hookfn *fn,
						     void *priv,
						     struct sk_buff *skb,
						     const struct nf_hook_state *state)
{
	unsigned int verdict;

	if (likely(in_softirq()))
		return fn(priv, skb, state);
	local_bh_disable();
	verdict = fn(priv, skb, state);
	local_bh_enable();
	return verdict;
}

#endif /* _L4LB_HOOKS_H */
