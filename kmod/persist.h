/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_PERSIST_H
#define _L4LB_PERSIST_H

#include "backend.h"
#include "conn.h"
#include "netns.h"
#include "service.h"

void l4lb_persist_net(const struct l4lb_service *svc, u32 persist,
		      const union nf_inet_addr *caddr, union nf_inet_addr *net);
void l4lb_tpl_key(struct l4lb_orig_key *k, const struct l4lb_service *svc,
		  u32 persist, const union nf_inet_addr *caddr);
struct l4lb_conn *l4lb_persist_find(struct l4lb_net *ln,
				    struct l4lb_service *svc, u32 persist,
				    const union nf_inet_addr *caddr);
struct l4lb_backend *l4lb_persist_pick(struct l4lb_net *ln,
				       struct l4lb_service *svc, u32 persist,
				       const union nf_inet_addr *caddr,
				       __be16 cport, struct l4lb_conn **tpl,
				       bool *full);
bool l4lb_tpl_sweep(struct l4lb_net *ln, struct l4lb_conn *tpl);
void l4lb_persist_flush(struct l4lb_net *ln, struct l4lb_service *svc);

#endif /* _L4LB_PERSIST_H */
