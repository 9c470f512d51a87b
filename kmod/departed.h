/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_DEPARTED_H
#define _L4LB_DEPARTED_H

#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

#include "backend.h"

struct l4lb_net;
struct l4lb_service;

/**
 * struct l4lb_departed - the address, port and protocol of a removed
 *	backend, remembered for as long as its late packets may come
 * @node: in &l4lb_net.departed; added and taken out under &l4lb_net.lock
 * @key: the backend's; never changes
 * @svc: the service whose counters its drops go to (the one it last left);
 *	a reference, replaced under the lock, read under RCU
 * @ref: one for the table, one for each removed &struct l4lb_backend of
 *	this key still alive (its flows keep it)
 * @until: jiffies after which, with no such backend left, it may go; set
 *	when the last one goes
 * @hold: jiffies its late packets may come after its last flow went
 * @rcu: frees it once no packet can still see it
 */
struct l4lb_departed {
	struct rhash_head node;
	struct l4lb_be_key key;
	struct l4lb_service __rcu *svc;
	refcount_t ref;
	u32 until;
	u32 hold;
	struct rcu_head rcu;
};

int l4lb_departed_table_init(struct l4lb_net *ln);
void l4lb_departed_table_uninit(struct l4lb_net *ln);
void l4lb_departed_add(struct l4lb_net *ln, struct l4lb_backend *be);
void l4lb_departed_release(struct l4lb_departed *d);
struct l4lb_departed *l4lb_departed_lookup(struct l4lb_net *ln,
					   const struct l4lb_be_key *key);
void l4lb_departed_reap(struct l4lb_net *ln);

#endif /* _L4LB_DEPARTED_H */
