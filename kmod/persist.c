// SPDX-License-Identifier: GPL-2.0
/*
 * Persistence (IPVS -p and -M): a client, or every client of its network
 * under the service's mask, keeps the backend it was first given for as
 * long as it has flows there, and the service's persistence after its
 * last one ended. What remembers the choice is a template, an entry of
 * the client side's table (state PERSIST, conn.c has its lifetime): keyed
 * by the masked address, the mask's prefix as client port, and the
 * service, with a flag in the key no packet's key has; it counts in
 * max-flows as any entry.
 *
 * Each new flow of a persistent service looks its template up once: one
 * lookup more than a flow of another service, and nothing else. A flow
 * adopted without a SYN (sh, mh) takes the template if there is one, and
 * makes none: with none, sh and mh hash the client's network (sched.c),
 * so another balancer's template and this hash agree while the backends
 * do not change.
 */

#include <linux/inetdevice.h>
#include <net/ipv6.h>

#include "expiry.h"
#include "persist.h"
#include "sched.h"

/* @caddr's network under @svc's mask (@persist, as read once): in @net. */
void l4lb_persist_net(const struct l4lb_service *svc, u32 persist,
		      const union nf_inet_addr *caddr, union nf_inet_addr *net)
{
	u8 prefix = l4lb_persist_prefix(persist);

	if (svc->key.family == AF_INET6)
		ipv6_addr_prefix(&net->in6, &caddr->in6, prefix);
	else
		net->ip = caddr->ip & inet_make_mask(prefix);
}

/*
 * The key of @svc's template for the client at @caddr. Its client port
 * is the mask's prefix: a template made by a packet that read the old
 * mask while it changed (10.0.0.0/16) is never found under the new one
 * (10.0.0.0/24), it only expires.
 */
void l4lb_tpl_key(struct l4lb_orig_key *k, const struct l4lb_service *svc,
		  u32 persist, const union nf_inet_addr *caddr)
{
	union nf_inet_addr net;

	l4lb_persist_net(svc, persist, caddr, &net);
	l4lb_orig_key_svc(k, svc, &net, 0);
	k->cport = htons(l4lb_persist_prefix(persist));
	k->tpl = 1;
}

/*
 * The template of @key, if it can give its backend: one whose backend is
 * gone (down, deleted, a fallback on standby) is unlinked, as a UDP
 * session on it would be, one idle past its time retired, and the client
 * is scheduled afresh. Returns it taken (this flow counted on it).
 */
static struct l4lb_conn *tpl_find(struct l4lb_net *ln,
				  const struct l4lb_orig_key *key)
{
	struct l4lb_conn *tpl = l4lb_conn_lookup_orig(ln, key);

	if (!tpl || READ_ONCE(tpl->dead))
		return NULL;
	if (l4lb_backend_gone(tpl->be)) {
		l4lb_conn_unlink(ln, tpl);
		return NULL;
	}
	if (l4lb_tpl_retire(ln, tpl, true))
		return NULL;
	return l4lb_tpl_take(tpl) ? tpl : NULL;
}

/*
 * The template of the client at @caddr of @svc (persistent: @persist, as
 * read once), taken for a flow adopted without a SYN: a connection of the
 * client's network began where it says (a hash could say otherwise: the
 * template's backend was full, drained, or the backends changed since).
 * NULL if there is none usable; none is made. Under RCU.
 */
struct l4lb_conn *l4lb_persist_find(struct l4lb_net *ln,
				    struct l4lb_service *svc, u32 persist,
				    const union nf_inet_addr *caddr)
{
	struct l4lb_orig_key key;

	l4lb_tpl_key(&key, svc, persist, caddr);
	return tpl_find(ln, &key);
}

/*
 * The backend of a new flow of @svc, persistent (@persist, as read once)
 * from @caddr:@cport. Its template's backend if it has a template, even
 * drained or full (as IPVS: the client's affinity goes on); else the
 * scheduler's (*@full as l4lb_sched_pick() sets it), remembered in a new
 * template. *@tpl: the template the flow is counted on (the caller gives
 * it to l4lb_conn_create_tpl()), or NULL when there was no room for one:
 * the flow is made all the same, unremembered. Under RCU.
 */
struct l4lb_backend *l4lb_persist_pick(struct l4lb_net *ln,
				       struct l4lb_service *svc, u32 persist,
				       const union nf_inet_addr *caddr,
				       __be16 cport, struct l4lb_conn **tpl,
				       bool *full)
{
	struct l4lb_orig_key key;
	struct l4lb_backend *be;
	struct l4lb_pool *pool;
	struct l4lb_conn *t;
	bool created;
	int why;

	l4lb_tpl_key(&key, svc, persist, caddr);
	*tpl = tpl_find(ln, &key);
	if (*tpl)
		return (*tpl)->be;
	pool = rcu_dereference(svc->pool);
	be = pool ? l4lb_sched_pick(svc, pool, READ_ONCE(ln->hash_seed),
				    caddr, cport, full) : NULL;
	if (!be)
		return NULL;
	t = l4lb_conn_create(ln, &key, be, L4LB_CONN_PERSIST, &created, &why);
	/* Another CPU's template for the client: its backend, if usable. */
	if (!t || (!created && l4lb_backend_gone(t->be)))
		return be;
	if (l4lb_tpl_take(t)) {
		*tpl = t;
		return t->be;
	}
	/*
	 * Retired or unlinked this very moment (the sweep, an eviction, a
	 * flush): its backend all the same, the flow counted on none.
	 */
	return t->be;
}

/*
 * The sweep's word on a template, under RCU: unlinked if its backend is
 * gone or its service no longer persistent (or deleted), retired if idle
 * past its time. True if it went.
 */
bool l4lb_tpl_sweep(struct l4lb_net *ln, struct l4lb_conn *tpl)
{
	struct l4lb_service *svc = tpl->be->svc;

	if (READ_ONCE(tpl->dead))
		return false;
	if (l4lb_backend_gone(tpl->be) || READ_ONCE(svc->dead) ||
	    !READ_ONCE(svc->persist)) {
		l4lb_conn_unlink(ln, tpl);
		return true;
	}
	return l4lb_tpl_retire(ln, tpl, true);
}

struct persist_flush {
	struct l4lb_net *ln;
	const struct l4lb_service *svc;
};

static int flush_one(struct l4lb_conn *conn, void *arg)
{
	struct persist_flush *f = arg;

	if (l4lb_conn_is_tpl(conn) && conn->be->svc == f->svc)
		l4lb_conn_unlink(f->ln, conn);
	return 0;
}

/*
 * Unlinks @svc's templates (its persistence went off or its mask
 * changed); their flows go on. A packet that read the old setting may
 * still make one after the walk: the sweep unlinks it if persistence is
 * off, and one of the old mask (its key has the prefix) is never found
 * again, and expires.
 */
void l4lb_persist_flush(struct l4lb_net *ln, struct l4lb_service *svc)
{
	struct persist_flush f = { .ln = ln, .svc = svc };

	lockdep_assert_held(&ln->lock);
	l4lb_conn_walk(ln, flush_one, &f);
}
