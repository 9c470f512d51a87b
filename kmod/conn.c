// SPDX-License-Identifier: GPL-2.0
/*
 * The connection table: TCP flows and UDP sessions, each one object in two
 * rhashtables (client side, backend side). The packet path looks up under
 * RCU and creates entries; whoever sees an entry expired or dead unlinks it
 * (the packet path, the sweep in expiry.c, a flush, an eviction), exactly
 * once: every path that ends a flow goes through l4lb_conn_unlink(), and
 * only the caller that moves l4lb_conn.dead from 0 to 1 tears it down.
 */

#include <linux/jhash.h>
#include <net/ipv6.h>
#include <linux/jiffies.h>
#include <linux/memcontrol.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "backend.h"
#include "conn.h"
#include "expiry.h"
#include "netns.h"
#include "service.h"

/* IPv4 flows, and IPv6 flows (&struct l4lb_conn6): one size class each. */
static struct kmem_cache *conn_cache __read_mostly;
static struct kmem_cache *conn6_cache __read_mostly;

static struct kmem_cache *cache_of(bool v6)
{
	return v6 ? conn6_cache : conn_cache;
}

#if IS_ENABLED(CONFIG_L4LB_KUNIT_TEST)
/* KUnit moves the clock instead of sleeping. */
u32 l4lb_clock_offset;
#endif

/* The key of a client's flow to @svc's port @vport. */
void l4lb_orig_key_port(struct l4lb_orig_key *k,
			const struct l4lb_service *svc,
			const union nf_inet_addr *caddr, __be16 cport,
			__be16 vport)
{
	const struct l4lb_svc_key *sk = &svc->key;

	if (sk->family == AF_INET6)
		l4lb_orig_key_init6(k, sk->proto, &caddr->in6, cport,
				    &sk->addr.in6, vport);
	else
		l4lb_orig_key_init4(k, sk->proto, caddr->ip, cport,
				    sk->addr.ip, vport);
}

/* The same to @svc's (first) port (the caller knows the service). */
void l4lb_orig_key_svc(struct l4lb_orig_key *k, const struct l4lb_service *svc,
		       const union nf_inet_addr *caddr, __be16 cport)
{
	l4lb_orig_key_port(k, svc, caddr, cport, svc->key.port);
}

void l4lb_orig_key_svc4(struct l4lb_orig_key *k,
			const struct l4lb_service *svc, __be32 caddr,
			__be16 cport)
{
	l4lb_orig_key_init4(k, svc->key.proto, caddr, cport, svc->key.addr.ip,
			    svc->key.port);
}

static void orig_key_of(const struct l4lb_conn *conn, struct l4lb_orig_key *k)
{
	const struct l4lb_svc_key *sk = &conn->be->svc->key;

	if (conn->v6)
		l4lb_orig_key_init6(k, sk->proto, l4lb_conn_caddr6(conn),
				    conn->cport, &sk->addr.in6, conn->vport);
	else
		l4lb_orig_key_init4(k, sk->proto, conn->caddr, conn->cport,
				    sk->addr.ip, conn->vport);
	k->tpl = l4lb_conn_is_tpl(conn);
	/* A template's port is its mask's prefix, UDP's too (persist.c). */
	if (k->tpl)
		k->cport = conn->cport;
}

static void reply_key_of(const struct l4lb_conn *conn,
			 struct l4lb_reply_key *k)
{
	const struct l4lb_be_key *bk = &conn->be->key;

	if (conn->v6)
		l4lb_reply_key_init6(k, bk->proto, &bk->addr.in6,
				     l4lb_conn_bport(conn),
				     l4lb_conn_caddr6(conn), conn->cport);
	else
		l4lb_reply_key_init4(k, bk->proto, bk->addr.ip,
				     l4lb_conn_bport(conn), conn->caddr,
				     conn->cport);
}

/*
 * Both keys start with the same header, whose @v6 says how many words
 * follow: an IPv4 key hashes four words, as it did before IPv6.
 */
static u32 key_hash(const void *data, u32 len, u32 seed)
{
	const struct l4lb_orig_key *k = data;

	/* Constant lengths: each hash unrolled. */
	if (unlikely(k->v6))
		return jhash2(data, L4LB_KEY6_WORDS, seed);
	return jhash2(data, L4LB_KEY4_WORDS, seed);
}

static u32 orig_obj_hash(const void *data, u32 len, u32 seed)
{
	struct l4lb_orig_key k;

	orig_key_of(data, &k);
	return key_hash(&k, len, seed);
}

/* Field by field: no key is built for each entry a lookup meets. */
static int orig_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct l4lb_orig_key *k = arg->key;
	const struct l4lb_conn *conn = obj;
	const struct l4lb_svc_key *sk = &conn->be->svc->key;

	if (conn->v6 != k->v6 || conn->vport != k->vport ||
	    sk->proto != k->proto || l4lb_conn_is_tpl(conn) != k->tpl ||
	    l4lb_conn_cport(conn, k->proto) != k->cport)
		return 1;
	if (!k->v6)
		return conn->caddr != k->ip.caddr || sk->addr.ip != k->ip.vaddr;
	return !ipv6_addr_equal(l4lb_conn_caddr6(conn), &k->ip6.caddr) ||
	       !ipv6_addr_equal(&sk->addr.in6, &k->ip6.vaddr);
}

static u32 reply_obj_hash(const void *data, u32 len, u32 seed)
{
	struct l4lb_reply_key k;

	reply_key_of(data, &k);
	return key_hash(&k, len, seed);
}

static int reply_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct l4lb_reply_key *k = arg->key;
	const struct l4lb_conn *conn = obj;
	const struct l4lb_be_key *bk = &conn->be->key;

	if (conn->v6 != k->v6 || bk->proto != k->proto ||
	    l4lb_conn_cport(conn, k->proto) != k->cport ||
	    l4lb_conn_bport(conn) != k->bport)
		return 1;
	if (!k->v6)
		return conn->caddr != k->ip.caddr || bk->addr.ip != k->ip.baddr;
	return !ipv6_addr_equal(l4lb_conn_caddr6(conn), &k->ip6.caddr) ||
	       !ipv6_addr_equal(&bk->addr.in6, &k->ip6.baddr);
}

/*
 * The flow tables grow with the flows and shrink again when they empty
 * (below 30%): a flood's peak does not stay allocated, and a full table's
 * eviction scan (a bounded number of buckets) meets entries, not a sparse
 * array left by an old peak. The sweep's cursor simply ends its pass early
 * on a table that shrank.
 *
 * rhashtable allocates the bucket arrays itself, in its worker, charged to
 * no memory cgroup (6.1 has no way to ask it). They follow the flows,
 * which are charged: a table grows past 75% full and shrinks below 30%,
 * so it has at most 3.3 buckets (27 bytes) a flow, and a namespace of
 * another user namespace, at most unpriv_max_flows flows, at most 2 MiB
 * of them with the default of 65,536 (two tables of 131,072 buckets).
 */
static const struct rhashtable_params orig_params = {
	.head_offset = offsetof(struct l4lb_conn, orig),
	.key_len = sizeof(struct l4lb_orig_key),
	.hashfn = key_hash,
	.obj_hashfn = orig_obj_hash,
	.obj_cmpfn = orig_obj_cmp,
	.automatic_shrinking = true,
};

static const struct rhashtable_params reply_params = {
	.head_offset = offsetof(struct l4lb_conn, reply),
	.key_len = sizeof(struct l4lb_reply_key),
	.hashfn = key_hash,
	.obj_hashfn = reply_obj_hash,
	.obj_cmpfn = reply_obj_cmp,
	.automatic_shrinking = true,
};

int l4lb_conn_init(void)
{
	/*
	 * 56 bytes, not padded to a cache line: at a million flows a flow
	 * costs its entry and a bucket in each table, and 8 bytes of padding
	 * are a tenth of that. The KUnit suite checks the size too.
	 */
	BUILD_BUG_ON(sizeof(struct l4lb_conn) > 56);
	/* The bound for an IPv6 flow is 128; it takes 72. */
	BUILD_BUG_ON(sizeof(struct l4lb_conn6) > 72);
	BUILD_BUG_ON(offsetof(struct l4lb_orig_key, ip) != L4LB_KEY_HDR_LEN);
	BUILD_BUG_ON(offsetof(struct l4lb_reply_key, ip) != L4LB_KEY_HDR_LEN);
	BUILD_BUG_ON(offsetof(struct l4lb_orig_key, v6) !=
		     offsetof(struct l4lb_reply_key, v6));
	BUILD_BUG_ON(sizeof(struct l4lb_orig_key) != L4LB_KEY6_WORDS * 4);
	BUILD_BUG_ON(sizeof(struct l4lb_reply_key) != L4LB_KEY6_WORDS * 4);
	conn_cache = KMEM_CACHE(l4lb_conn, 0);
	if (!conn_cache)
		return -ENOMEM;
	conn6_cache = KMEM_CACHE(l4lb_conn6, 0);
	if (!conn6_cache)
		goto err;
	return 0;
err:
	kmem_cache_destroy(conn_cache);
	return -ENOMEM;
}

void l4lb_conn_uninit(void)
{
	/* Callers ran rcu_barrier(): no kfree_rcu() of a conn is pending. */
	kmem_cache_destroy(conn6_cache);
	kmem_cache_destroy(conn_cache);
}

int l4lb_conn_table_init(struct l4lb_net *ln)
{
	int ret;

	atomic_set(&ln->nr_conns, 0);
	ln->max_conns = L4LB_DEFAULT_MAX_CONNS;
	ln->timeout[L4LB_TIMEOUT_SYN] = 30 * HZ;
	ln->timeout[L4LB_TIMEOUT_ESTABLISHED] = 900 * HZ;
	/* IPVS's FIN_WAIT and conntrack's: a half-closed answer has time. */
	ln->timeout[L4LB_TIMEOUT_FIN_WAIT] = 120 * HZ;
	ln->timeout[L4LB_TIMEOUT_CLOSING] = 10 * HZ;

	ret = rhashtable_init(&ln->conn_orig, &orig_params);
	if (ret)
		return ret;
	ret = rhashtable_init(&ln->conn_reply, &reply_params);
	if (ret)
		goto err_reply;
	return 0;

err_reply:
	rhashtable_destroy(&ln->conn_orig);
	return ret;
}

static void conn_free(struct l4lb_conn *conn)
{
	l4lb_backend_put(conn->be);
	kmem_cache_free(cache_of(conn->v6), conn);
}

static void conn_free_rcu(struct rcu_head *head)
{
	conn_free(container_of(head, struct l4lb_conn, rcu));
}

/*
 * A template's memory goes once it is out of the table (L4LB_TPL_LINKED
 * cleared, by its teardown's owner, after the removal) and no flow counts
 * on it: a flow keeps its template, unlinked or not, until the flow ends.
 */
static void tpl_release(struct l4lb_conn *tpl, int users)
{
	if (!(users & ~L4LB_TPL_RETIRED))
		call_rcu(&tpl->rcu, conn_free_rcu);
}

/*
 * One entry at the table's end, in any order: a template waits for its
 * last flow, a flow releases its template.
 */
static void conn_free_one(void *ptr, void *arg)
{
	struct l4lb_conn *conn = ptr, *tpl;

	if (l4lb_conn_is_tpl(conn)) {
		tpl_release(conn, atomic_sub_return(L4LB_TPL_LINKED,
						    &conn->users));
		return;
	}
	if (conn->state != L4LB_CONN_CLOSING)
		atomic_dec(&conn->be->active);
	tpl = conn->tpl;
	conn_free(conn);
	if (tpl)
		tpl_release(tpl, atomic_dec_return(&tpl->users));
}

/* The hooks are gone and synchronize_net() ran: nobody else sees the table. */
void l4lb_conn_table_uninit(struct l4lb_net *ln)
{
	rhashtable_destroy(&ln->conn_reply);
	rhashtable_free_and_destroy(&ln->conn_orig, conn_free_one, NULL);
}

/* The timeout of @conn in @state. */
static u32 conn_timeout_in(const struct l4lb_net *ln,
			   const struct l4lb_conn *conn, u8 state)
{
	switch (state) {
	case L4LB_CONN_UDP:
	case L4LB_CONN_UDP_UNREPLIED:
	case L4LB_CONN_UDP_REPLIED:
		return READ_ONCE(conn->be->svc->udp_timeout);
	case L4LB_CONN_ADOPTED:
	case L4LB_CONN_ADOPTED_REPLY:
		/*
		 * Behind ECMP one balancer may see one direction only, for
		 * good: established's timeout, but evictable (unassured).
		 */
	case L4LB_CONN_ESTABLISHED:
		return READ_ONCE(ln->timeout[L4LB_TIMEOUT_ESTABLISHED]);
	case L4LB_CONN_FIN_WAIT:
	case L4LB_CONN_CLOSE_WAIT:
		return READ_ONCE(ln->timeout[L4LB_TIMEOUT_FIN_WAIT]);
	case L4LB_CONN_CLOSING:
		return READ_ONCE(ln->timeout[L4LB_TIMEOUT_CLOSING]);
	case L4LB_CONN_PERSIST:
		return l4lb_persist_timeout(READ_ONCE(conn->be->svc->persist));
	default:
		/* SYN_SEEN, and SYN_RECV: half-open as much, as short. */
		return READ_ONCE(ln->timeout[L4LB_TIMEOUT_SYN]);
	}
}

u32 l4lb_conn_timeout(const struct l4lb_net *ln, const struct l4lb_conn *conn)
{
	return conn_timeout_in(ln, conn, READ_ONCE(conn->state));
}

/* Called under RCU. */
struct l4lb_conn *l4lb_conn_lookup_orig(struct l4lb_net *ln,
					const struct l4lb_orig_key *key)
{
	return rhashtable_lookup(&ln->conn_orig, key, orig_params);
}

/* Called under RCU. */
struct l4lb_conn *l4lb_conn_lookup_reply(struct l4lb_net *ln,
					 const struct l4lb_reply_key *key)
{
	return rhashtable_lookup(&ln->conn_reply, key, reply_params);
}

static void conn_set_deadline(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	u8 state = READ_ONCE(conn->state);
	u32 deadline = l4lb_now() + conn_timeout_in(ln, conn, state);

	/* Write the shared line only when the deadline moved a tick or more. */
	if (READ_ONCE(conn->deadline) != deadline)
		WRITE_ONCE(conn->deadline, deadline);
	/*
	 * A half-open flow's short deadline may have landed over the long
	 * one another CPU set as its cmpxchg established the flow: if the
	 * state moved since it was read, the deadline of the state it is in.
	 * States only move forward: this ends.
	 */
	if (state != L4LB_CONN_SYN_SEEN && state != L4LB_CONN_SYN_RECV)
		return;
	/* This store before that read, as the other CPU's cmpxchg orders. */
	smp_mb();
	if (READ_ONCE(conn->state) != state)
		conn_set_deadline(ln, conn);
}

/*
 * A replied UDP session's packet: the session is assured (UDP) if it comes
 * L4LB_UDP_ASSURE_DELAY or more after the answer; a timeout below twice
 * the delay assures at half the timeout, before the session can expire.
 * Either way its deadline moves on.
 */
static void udp_replied_packet(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	u32 timeout = READ_ONCE(conn->be->svc->udp_timeout);
	u16 since = (u16)l4lb_now() - READ_ONCE(conn->answered);

	if (since < min_t(u32, L4LB_UDP_ASSURE_DELAY, timeout / 2))
		conn_set_deadline(ln, conn);
	else
		l4lb_conn_advance(ln, conn, L4LB_CONN_UDP_REPLIED,
				  L4LB_CONN_UDP);
}

/*
 * A packet of the flow: its deadline moves to now plus its state's
 * timeout. Not a closing flow's: set once, when it began to close, what a
 * forged packet can keep (a closing flow) is evictable, and has only its
 * first timeout. (A
 * packet that read the state just before another CPU closed the flow
 * may still write its old state's deadline once: a closing flow stays
 * evictable all the same.)
 */
void l4lb_conn_refresh(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	switch (READ_ONCE(conn->state)) {
	case L4LB_CONN_CLOSING:
		return;
	case L4LB_CONN_UDP_REPLIED:
		udp_replied_packet(ln, conn);
		return;
	default:
		conn_set_deadline(ln, conn);
	}
}

/*
 * A TCP packet with data: a closing flow whose connection still carries
 * data was closed by a RST that was forged or stale (l4lb checks no
 * sequence numbers, the ends do): its deadline moves on, as any other
 * flow's. A bare ACK, all a pinning client needs to send, moves nothing.
 */
void l4lb_conn_data(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	if (READ_ONCE(conn->state) == L4LB_CONN_CLOSING)
		conn_set_deadline(ln, conn);
}

/*
 * State changes are lock-free: the client's and the backend's packets may
 * race on two CPUs. A flow counts in &l4lb_backend.active (what the least
 * connection schedulers weigh) until it is closing: the one CPU that moves
 * it to CLOSING, in conn_close_from() or l4lb_conn_unlink(), takes it off.
 *
 * One step forward (SYN_SEEN -> SYN_RECV -> ESTABLISHED, UDP_UNREPLIED ->
 * UDP_REPLIED -> UDP, and conn.h's adoptions), taken only from @from: a
 * flow that meanwhile moved on (closing, say) stays where it is. Returns
 * whether this call moved it; refreshes the deadline under the state it
 * is in then either way (l4lb_conn_refresh()'s rules).
 */
bool l4lb_conn_advance(struct l4lb_net *ln, struct l4lb_conn *conn,
		       u8 from, u8 to)
{
	/* Most packets find it past @from: no locked write for them. */
	bool moved = READ_ONCE(conn->state) == from &&
		     cmpxchg(&conn->state, from, to) == from;

	if (moved)
		conn_set_deadline(ln, conn);
	else
		l4lb_conn_refresh(ln, conn);
	return moved;
}

/*
 * Moves the flow from @old (as read) on to CLOSING, or to what @next
 * says for the state it is found in. The CPU whose cmpxchg moves it to
 * CLOSING takes it off the backend's count and sets the one deadline
 * CLOSING has. A flow already closing is left as it is.
 */
static void conn_close_from(struct l4lb_net *ln, struct l4lb_conn *conn,
			    u8 (*next)(u8 state, bool from_client),
			    bool from_client)
{
	u8 old = READ_ONCE(conn->state), to;

	do {
		if (old == L4LB_CONN_CLOSING)
			return;
		to = next(old, from_client);
		if (to == old) {
			conn_set_deadline(ln, conn);
			return;
		}
	} while (!try_cmpxchg(&conn->state, &old, to));
	if (to == L4LB_CONN_CLOSING)
		atomic_dec(&conn->be->active);
	conn_set_deadline(ln, conn);
}

static u8 next_rst(u8 state, bool from_client)
{
	return L4LB_CONN_CLOSING;
}

/* A RST from either side: the connection is over. */
void l4lb_conn_closing(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	conn_close_from(ln, conn, next_rst, false);
}

/*
 * A FIN closes its sender's direction: established, the flow waits for
 * the other side's FIN (FIN_WAIT or CLOSE_WAIT, fin-wait's timeout); that
 * FIN closes it. A retransmitted FIN stays where it is. A flow never
 * established closes at once: nothing assured should outlive a FIN there.
 */
static u8 next_fin(u8 state, bool from_client)
{
	switch (state) {
	case L4LB_CONN_ESTABLISHED:
		return from_client ? L4LB_CONN_FIN_WAIT : L4LB_CONN_CLOSE_WAIT;
	case L4LB_CONN_FIN_WAIT:
		return from_client ? state : L4LB_CONN_CLOSING;
	case L4LB_CONN_CLOSE_WAIT:
		return from_client ? L4LB_CONN_CLOSING : state;
	default:
		return L4LB_CONN_CLOSING;
	}
}

void l4lb_conn_fin(struct l4lb_net *ln, struct l4lb_conn *conn,
		   bool from_client)
{
	conn_close_from(ln, conn, next_fin, from_client);
}

/*
 * A backend's UDP datagram: the first makes a session replied, and is
 * when it was answered. Written before the move; a reader racing it may
 * still see the stamp of before (0) and assure the session early: a
 * heuristic's miss, nothing worse.
 */
void l4lb_conn_udp_answer(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	if (READ_ONCE(conn->state) == L4LB_CONN_UDP_UNREPLIED)
		WRITE_ONCE(conn->answered, (u16)l4lb_now());
	l4lb_conn_advance(ln, conn, L4LB_CONN_UDP_UNREPLIED,
			  L4LB_CONN_UDP_REPLIED);
}

/*
 * Templates (persistence, persist.c): an entry of the client side's
 * table whose &l4lb_conn.users counts the flows that chose its backend
 * through it, with two flags:
 *
 *   L4LB_TPL_LINKED   in the table; cleared by the one caller that owns
 *                     its teardown (tpl_teardown()), after the removal
 *   L4LB_TPL_RETIRED  no flow may take it any more: it had none when set
 *
 * A flow takes a template (l4lb_tpl_take()) only while it is linked and
 * not retired, and the sweep or an eviction retires one only while it has
 * no flow, both with a cmpxchg of the same word: a template is never
 * retired under a flow that just took it. A template whose backend went
 * (down, deleted, on standby), or flushed, is unlinked with flows still
 * on it (l4lb_conn_unlink()): its flows keep it until they end, none
 * finds it any more. Its memory goes when it is out of the table and has
 * no flows, after RCU.
 */

/* Under RCU: a flow of @tpl's backend is about to be made. */
bool l4lb_tpl_take(struct l4lb_conn *tpl)
{
	int old = atomic_read(&tpl->users);

	do {
		if ((old & L4LB_TPL_RETIRED) || !(old & L4LB_TPL_LINKED))
			return false;
	} while (!atomic_try_cmpxchg(&tpl->users, &old, old + 1));
	return true;
}

/*
 * A flow of @tpl ended (or was never made): the template expires its
 * service's persistence after now, unless another flow is still on it.
 * The deadline is written before the count drops: a sweep that sees the
 * count drop sees the deadline too.
 */
void l4lb_tpl_put(struct l4lb_net *ln, struct l4lb_conn *tpl)
{
	WRITE_ONCE(tpl->deadline, l4lb_now() + l4lb_conn_timeout(ln, tpl));
	tpl_release(tpl, atomic_dec_return(&tpl->users));
}

/* By the one owner of its teardown, under RCU. */
static void tpl_teardown(struct l4lb_net *ln, struct l4lb_conn *tpl)
{
	rhashtable_remove_fast(&ln->conn_orig, &tpl->orig, orig_params);
	atomic_dec(&ln->nr_conns);
	/* Out of the table first: only then may its last flow free it. */
	tpl_release(tpl, atomic_sub_return(L4LB_TPL_LINKED, &tpl->users));
}

/*
 * Ends an idle template (no flow on it), once @expired_only: only if its
 * deadline passed. False if a flow holds it (or took it meanwhile), or it
 * is not yet due. The deadline is read again after the cmpxchg: a flow
 * that took and left it between the first read and the cmpxchg moved it.
 */
bool l4lb_tpl_retire(struct l4lb_net *ln, struct l4lb_conn *tpl,
		     bool expired_only)
{
	u32 now = l4lb_now();

	if (expired_only && !l4lb_conn_expired(tpl, now))
		return false;
	if (atomic_cmpxchg(&tpl->users, L4LB_TPL_LINKED,
			   L4LB_TPL_LINKED | L4LB_TPL_RETIRED) !=
	    L4LB_TPL_LINKED)
		return false;
	if (expired_only && !l4lb_conn_expired(tpl, now)) {
		atomic_andnot(L4LB_TPL_RETIRED, &tpl->users);
		return false;
	}
	/* A flush unlinking it meanwhile owns its teardown then. */
	if (!xchg(&tpl->dead, 1))
		tpl_teardown(ln, tpl);
	return true;
}

/*
 * Takes the conn out of both tables, once: the packet path, the sweep, a
 * flush and an eviction may all find it at the same time, and only the
 * one that sets @dead goes on. Readers under RCU may still hold it. A
 * template goes out of its table whatever flows it has (they keep it).
 */
void l4lb_conn_unlink(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	struct l4lb_conn *tpl;

	if (xchg(&conn->dead, 1))
		return;
	if (l4lb_conn_is_tpl(conn)) {
		tpl_teardown(ln, conn);
		return;
	}
	rhashtable_remove_fast(&ln->conn_orig, &conn->orig, orig_params);
	rhashtable_remove_fast(&ln->conn_reply, &conn->reply, reply_params);
	if (xchg(&conn->state, L4LB_CONN_CLOSING) != L4LB_CONN_CLOSING)
		atomic_dec(&conn->be->active);
	atomic_dec(&ln->nr_conns);
	/* @tpl shares @rcu's space: read before call_rcu() writes it. */
	tpl = conn->tpl;
	call_rcu(&conn->rcu, conn_free_rcu);
	if (tpl)
		l4lb_tpl_put(ln, tpl);
}

/* A full table's victim: a template only while no flow is on it. */
void l4lb_conn_evict(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	if (l4lb_conn_is_tpl(conn))
		l4lb_tpl_retire(ln, conn, false);
	else
		l4lb_conn_unlink(ln, conn);
}

/*
 * The tables flows live in: the table, and while rhashtable's worker is
 * resizing or rehashing it, the newer tables it moves them to (new flows
 * go straight there). Under RCU.
 */
static struct bucket_table *conn_table(struct l4lb_net *ln)
{
	return rht_dereference_rcu(ln->conn_orig.tbl, &ln->conn_orig);
}

static struct bucket_table *conn_table_next(struct l4lb_net *ln,
					    struct bucket_table *tbl)
{
	return rht_dereference_rcu(tbl->future_tbl, &ln->conn_orig);
}

/*
 * Calls @fn on each flow of bucket @idx of every table (see
 * conn_table()), stopping at the first non-zero return, which it
 * returns. *@size gets the largest table's size: @idx at or beyond it
 * means a walk is over. Caller holds RCU.
 */
int l4lb_conn_for_bucket(struct l4lb_net *ln, unsigned int idx,
			 unsigned int *size,
			 int (*fn)(struct l4lb_conn *conn, void *arg), void *arg)
{
	struct bucket_table *tbl;
	struct l4lb_conn *conn;
	struct rhash_head *pos;
	int ret;

	*size = 0;
	for (tbl = conn_table(ln); tbl; tbl = conn_table_next(ln, tbl)) {
		*size = max(*size, tbl->size);
		if (idx >= tbl->size)
			continue;
		rht_for_each_entry_rcu(conn, pos, tbl, idx, orig) {
			ret = fn(conn, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Buckets of the table now. */
unsigned int l4lb_conn_buckets(struct l4lb_net *ln)
{
	unsigned int size;

	rcu_read_lock();
	size = rht_dereference_rcu(ln->conn_orig.tbl, &ln->conn_orig)->size;
	rcu_read_unlock();
	return size;
}

/*
 * Names the table a bucket-by-bucket walk sees: a resize or a rehash
 * (rhashtable moves flows to a new table, of the same size when chains
 * grow too long, with a new seed) changes it, and while one is under way
 * flows already moved are missing from the old table, so the value then
 * differs from both the old and the new table's. A dump that sees it
 * change between messages is marked interrupted and asked again.
 */
u32 l4lb_conn_table_gen(struct l4lb_net *ln)
{
	struct bucket_table *tbl;
	u32 gen;

	rcu_read_lock();
	tbl = rht_dereference_rcu(ln->conn_orig.tbl, &ln->conn_orig);
	gen = tbl->hash_rnd ^ tbl->size;
	if (rcu_access_pointer(tbl->future_tbl))
		gen = ~gen;
	rcu_read_unlock();
	return gen;
}

/*
 * The walker yields before @fn sees the flow it stands on, never after:
 * @fn may unlink that flow, and rhashtable_walk_start() (6.1) finds its
 * place again only by the flow it stopped on, still in the table. Having
 * yielded, it asks rhashtable_walk_peek() for that flow again: it, or if
 * the flow went meanwhile, the one now in its place.
 */
int l4lb_conn_walk(struct l4lb_net *ln,
		   int (*fn)(struct l4lb_conn *conn, void *arg), void *arg)
{
	struct rhashtable_iter iter;
	struct l4lb_conn *conn;
	unsigned int n = 0;
	int ret = 0;

	rhashtable_walk_enter(&ln->conn_orig, &iter);
	/* Between start and stop the walker holds RCU: flows stay valid. */
	rhashtable_walk_start(&iter);
	conn = rhashtable_walk_next(&iter);
	while (!ret && conn) {
		/* A resize or rehash: the walker starts over (-EAGAIN). */
		if (IS_ERR(conn)) {
			if (PTR_ERR(conn) != -EAGAIN)
				break;
		} else if (++n % L4LB_SWEEP_BUDGET == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
			conn = rhashtable_walk_peek(&iter);
			continue;
		} else {
			ret = fn(conn, arg);
		}
		conn = rhashtable_walk_next(&iter);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return ret;
}

/*
 * The table is full: make room by unlinking an unassured flow (SYN seen or
 * SYN-ACK seen but never acknowledged, adopted and never answered, a UDP
 * session answered once at most, a closing flow: what a spoofed flood
 * leaves or keeps) or one already expired, as conntrack's early_drop
 * does. Of the candidates among L4LB_EVICT_SCAN entries from a
 * random bucket, the one idle longest goes: a new client's flow, fresh in
 * its handshake, is the last a flood pushes out, whatever the timeouts of
 * the states around it. Returns it (valid until the RCU section ends), or
 * NULL when none was found: the new flow is refused. Called under RCU.
 */

/*
 * How long a candidate for eviction has been idle (its timeout less the
 * time it has left), plus one; 0 for any other flow.
 */
static u32 evict_idle(struct l4lb_net *ln, const struct l4lb_conn *conn,
		      u32 now)
{
	s32 left = READ_ONCE(conn->deadline) - now;
	s64 idle;

	if (READ_ONCE(conn->dead) || l4lb_tpl_busy(conn))
		return 0;
	if (left > 0 && !l4lb_conn_state_unassured(READ_ONCE(conn->state)))
		return 0;
	/* A timeout lowered since its last packet: as fresh as can be. */
	idle = (s64)l4lb_conn_timeout(ln, conn) - left;
	return clamp_t(s64, idle, 0, U32_MAX - 1) + 1;
}

static struct l4lb_conn *evict_candidate(struct l4lb_net *ln, u32 now)
{
	struct l4lb_conn *conn, *victim = NULL;
	unsigned int i, n, start, seen = 0;
	u32 idle, best = 0;
	struct bucket_table *tbl;
	struct rhash_head *pos;

	for (tbl = conn_table(ln); tbl; tbl = conn_table_next(ln, tbl)) {
		start = get_random_u32_below(tbl->size);
		/* Bounded in buckets too: a table grown by a flood is sparse. */
		n = min(tbl->size, 4 * L4LB_EVICT_SCAN);
		for (i = 0; i < n && seen < L4LB_EVICT_SCAN; i++) {
			rht_for_each_entry_rcu(conn, pos, tbl,
					       (start + i) & (tbl->size - 1),
					       orig) {
				if (++seen > L4LB_EVICT_SCAN)
					break;
				idle = evict_idle(ln, conn, now);
				if (idle > best) {
					best = idle;
					victim = conn;
				}
			}
		}
	}
	return victim;
}

/* Flows of a namespace its owner's memory cgroup pays for (netns.c). */
static struct l4lb_conn *conn_alloc(struct l4lb_net *ln, bool v6)
{
	struct mem_cgroup *old, *memcg = READ_ONCE(ln->memcg);
	struct l4lb_conn *conn;

	if (!memcg)
		return kmem_cache_alloc(cache_of(v6),
					GFP_ATOMIC | __GFP_NOWARN);
	/*
	 * Charged to @memcg, never beyond its limit: no __GFP_HIGH, so at
	 * the limit the charge fails and the flow is refused.
	 */
	old = set_active_memcg(memcg);
	conn = kmem_cache_alloc(cache_of(v6),
				GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	set_active_memcg(old);
	return conn;
}

/*
 * A new flow to @be for the client in @key, counted on template @tpl if
 * not NULL (the caller took it; it puts it back unless *@created), or a
 * new template (@state PERSIST, @key a template's); a local client's if
 * @local (local.c), marked before anyone can find it. Returns it with *@created
 * true, or the flow another CPU inserted for the same key a moment
 * earlier with *@created false (the caller counts no new flow), or NULL
 * with *@why an &enum l4lb_drop_reason: the table is full (and nothing
 * could be evicted), memory is short, or the backend side is taken. The
 * caller drops the packet then. Called under RCU, with bottom halves off.
 *
 * The new flow is inserted dead (@dead 1), so nobody else can tear it
 * down while it is in one table only; it goes live once in both. A full
 * table picks the flow to evict first, but unlinks it only once the new
 * one is in both tables: an existing flow, a clash or a memory refusal
 * evicts nothing.
 */
struct l4lb_conn *l4lb_conn_create_tpl(struct l4lb_net *ln,
				       const struct l4lb_orig_key *key,
				       struct l4lb_backend *be, u8 state,
				       struct l4lb_conn *tpl, bool local,
				       bool *created, int *why)
{
	struct l4lb_conn *conn, *old = NULL, *victim = NULL;
	struct l4lb_reply_key rkey;
	u32 now = l4lb_now();
	int ret;

	*created = false;
	*why = L4LB_DROP_TABLE_FULL;
	if (atomic_inc_return(&ln->nr_conns) > READ_ONCE(ln->max_conns)) {
		victim = evict_candidate(ln, now);
		if (!victim)
			goto err_count;
	}
	*why = L4LB_DROP_NO_BACKEND;
	if (!l4lb_backend_get(be))
		goto err_count;
	*why = L4LB_DROP_NO_MEMORY;
	conn = conn_alloc(ln, key->v6);
	if (!conn)
		goto err_put;
	conn->v6 = key->v6;
	conn->local = local;
	if (key->v6)
		container_of(conn, struct l4lb_conn6, c)->caddr = key->ip6.caddr;
	else
		conn->caddr = key->ip.caddr;
	/* A UDP session's key has port 0: its @answered starts at 0. */
	conn->cport = key->cport;
	conn->vport = key->vport;
	conn->be = be;
	conn->state = state;
	conn->dead = 1;
	conn->deadline = now + l4lb_conn_timeout(ln, conn);
	if (state == L4LB_CONN_PERSIST)
		atomic_set(&conn->users, L4LB_TPL_LINKED);
	else
		conn->tpl = tpl;

	old = rhashtable_lookup_get_insert_key(&ln->conn_orig, key,
					       &conn->orig, orig_params);
	if (old)
		goto err_free;
	if (state == L4LB_CONN_PERSIST)
		goto live;
	reply_key_of(conn, &rkey);
	ret = rhashtable_lookup_insert_key(&ln->conn_reply, &rkey, &conn->reply,
					   reply_params);
	if (ret) {
		/* Else the table could not grow: memory. */
		if (ret == -EEXIST)
			*why = L4LB_DROP_CLASH;
		goto err_orig;
	}
	atomic_inc(&be->active);
live:
	/* Room for it: the victim may have gone meanwhile, all the same. */
	if (victim)
		l4lb_conn_evict(ln, victim);
	/* In both tables: from now on whoever unlinks it owns it. */
	smp_store_release(&conn->dead, 0);
	*created = true;
	return conn;

err_orig:
	/* Still ours alone (dead): readers may hold it, free after RCU. */
	rhashtable_remove_fast(&ln->conn_orig, &conn->orig, orig_params);
	atomic_dec(&ln->nr_conns);
	call_rcu(&conn->rcu, conn_free_rcu);
	return NULL;
err_free:
	/* Never visible: no reader can hold it. */
	kmem_cache_free(cache_of(conn->v6), conn);
err_put:
	l4lb_backend_put(be);
err_count:
	atomic_dec(&ln->nr_conns);
	if (IS_ERR_OR_NULL(old))
		return NULL;
	/* Another CPU's flow for the same client: it counts already. */
	return old;
}
