/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_HOOKS_H
#define _L4LB_HOOKS_H

struct l4lb_net;
struct nf_hook_state;
struct sk_buff;

/* Bits of &l4lb_net.hooks_on: whose hooks are registered. */
#define L4LB_HOOKS_V4	1
#define L4LB_HOOKS_V6	2

int l4lb_hooks_register(struct l4lb_net *ln, u8 family);
void l4lb_hooks_sync(struct l4lb_net *ln);
void l4lb_hooks_unregister(struct l4lb_net *ln);

/* The hook functions, for l4lb's KUnit suites to feed packets to. */
unsigned int l4lb_pre_routing(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state);
unsigned int l4lb_post_routing(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state);
unsigned int l4lb_pre_routing6(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state);

#endif /* _L4LB_HOOKS_H */
