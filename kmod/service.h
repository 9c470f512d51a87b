/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_SERVICE_H
#define _L4LB_SERVICE_H

#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

struct l4lb_net;

/**
 * struct l4lb_svc_key - what tells services apart: hashed and compared whole
 * @addr: the virtual address; an IPv4 address fills @addr.ip, the rest is 0
 * @port: the virtual port, network order
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: AF_INET (AF_INET6 to come); keeps v4 and v6 keys apart
 */
struct l4lb_svc_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 proto;
	u8 family;
};

/**
 * struct l4lb_service - one virtual service
 * @node: in &l4lb_net.services
 * @list: in &l4lb_net.svc_list
 * @key: what the service answers to
 * @sched: &enum l4lb_sched
 * @rcu: frees the service once no packet can still see it
 */
struct l4lb_service {
	struct rhash_head node;
	struct list_head list;
	struct l4lb_svc_key key;
	u8 sched;
	struct rcu_head rcu;
};

int l4lb_service_table_init(struct l4lb_net *ln);
void l4lb_service_table_uninit(struct l4lb_net *ln);

struct l4lb_service *l4lb_service_lookup(struct l4lb_net *ln,
					 const struct l4lb_svc_key *key);
int l4lb_service_add(struct l4lb_net *ln, const struct l4lb_svc_key *key,
		     u8 sched);
int l4lb_service_remove(struct l4lb_net *ln, const struct l4lb_svc_key *key);
void l4lb_service_flush(struct l4lb_net *ln);

u8 l4lb_service_default_sched(u8 proto);
void l4lb_svc_key_init4(struct l4lb_svc_key *key, u8 proto, __be32 addr,
			__be16 port);

#endif /* _L4LB_SERVICE_H */
