/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_HOOKS_H
#define _L4LB_HOOKS_H

struct l4lb_net;

int l4lb_hooks_register(struct l4lb_net *ln);
void l4lb_hooks_unregister(struct l4lb_net *ln);

#endif /* _L4LB_HOOKS_H */
