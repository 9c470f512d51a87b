/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_NETLINK_H
#define _L4LB_NETLINK_H

int l4lb_genl_init(void);
void l4lb_genl_uninit(void);

#endif /* _L4LB_NETLINK_H */
