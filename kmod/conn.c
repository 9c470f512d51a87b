// SPDX-License-Identifier: GPL-2.0
/*
 * The connection table: TCP flows and UDP sessions, each one object in two
 * rhashtables (client side, backend side). The packet path looks up under
 * RCU and creates entries; whoever sees an entry expired or dead unlinks it
 * (the packet path or the sweep in expiry.c), exactly once, thanks to
 * l4lb_conn.dead.
 */

#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "backend.h"
#include "conn.h"
#include "netns.h"
#include "service.h"

static struct kmem_cache *conn_cache __read_mostly;

#if IS_ENABLED(CONFIG_L4LB_KUNIT_TEST)
/* KUnit moves the clock instead of sleeping. */
u32 l4lb_clock_offset;
#endif

u32 l4lb_now(void)
{
#if IS_ENABLED(CONFIG_L4LB_KUNIT_TEST)
	return (u32)jiffies + READ_ONCE(l4lb_clock_offset);
#else
	return (u32)jiffies;
#endif
}

static void orig_key_of(const struct l4lb_conn *conn, struct l4lb_orig_key *k)
{
	memset(k, 0, sizeof(*k));
	k->caddr = conn->caddr;
	k->svc = conn->be->svc;
	k->cport = conn->cport;
}

static void reply_key_of(const struct l4lb_conn *conn,
			 struct l4lb_reply_key *k)
{
	memset(k, 0, sizeof(*k));
	k->baddr = conn->be->key.addr;
	k->caddr = conn->caddr;
	k->bport = conn->be->key.port;
	k->cport = conn->cport;
	k->proto = conn->be->key.proto;
}

static u32 orig_obj_hash(const void *data, u32 len, u32 seed)
{
	struct l4lb_orig_key k;

	orig_key_of(data, &k);
	return jhash2((const u32 *)&k, sizeof(k) / sizeof(u32), seed);
}

static int orig_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	struct l4lb_orig_key k;

	orig_key_of(obj, &k);
	return memcmp(&k, arg->key, sizeof(k));
}

static u32 reply_obj_hash(const void *data, u32 len, u32 seed)
{
	struct l4lb_reply_key k;

	reply_key_of(data, &k);
	return jhash2((const u32 *)&k, sizeof(k) / sizeof(u32), seed);
}

static int reply_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	struct l4lb_reply_key k;

	reply_key_of(obj, &k);
	return memcmp(&k, arg->key, sizeof(k));
}

/*
 * The flow tables grow with the flows and never shrink: a flood's peak
 * stays allocated (8 bytes a bucket), and the sweep's bucket cursor never
 * meets a shrinking table.
 */
static const struct rhashtable_params orig_params = {
	.head_offset = offsetof(struct l4lb_conn, orig),
	.key_len = sizeof(struct l4lb_orig_key),
	.obj_hashfn = orig_obj_hash,
	.obj_cmpfn = orig_obj_cmp,
};

static const struct rhashtable_params reply_params = {
	.head_offset = offsetof(struct l4lb_conn, reply),
	.key_len = sizeof(struct l4lb_reply_key),
	.obj_hashfn = reply_obj_hash,
	.obj_cmpfn = reply_obj_cmp,
};

int l4lb_conn_init(void)
{
	/* 64 bytes: a cache line per flow; the KUnit suite checks it too. */
	BUILD_BUG_ON(sizeof(struct l4lb_conn) > 64);
	conn_cache = KMEM_CACHE(l4lb_conn, SLAB_HWCACHE_ALIGN);
	return conn_cache ? 0 : -ENOMEM;
}

void l4lb_conn_uninit(void)
{
	/* Callers ran rcu_barrier(): no kfree_rcu() of a conn is pending. */
	kmem_cache_destroy(conn_cache);
}

int l4lb_conn_table_init(struct l4lb_net *ln)
{
	int ret;

	atomic_set(&ln->nr_conns, 0);
	ln->max_conns = L4LB_DEFAULT_MAX_CONNS;
	ln->timeout[L4LB_CONN_SYN_SEEN] = 30 * HZ;
	ln->timeout[L4LB_CONN_ESTABLISHED] = 900 * HZ;
	ln->timeout[L4LB_CONN_CLOSING] = 10 * HZ;

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

static void conn_free_one(void *ptr, void *arg)
{
	struct l4lb_conn *conn = ptr;

	if (conn->state != L4LB_CONN_CLOSING)
		atomic_dec(&conn->be->active);
	l4lb_backend_put(conn->be);
	kmem_cache_free(conn_cache, conn);
}

/* The hooks are gone and synchronize_net() ran: nobody else sees the table. */
void l4lb_conn_table_uninit(struct l4lb_net *ln)
{
	rhashtable_destroy(&ln->conn_reply);
	rhashtable_free_and_destroy(&ln->conn_orig, conn_free_one, NULL);
}

u32 l4lb_conn_timeout(const struct l4lb_net *ln, const struct l4lb_conn *conn)
{
	if (conn->state == L4LB_CONN_UDP)
		return READ_ONCE(conn->be->svc->udp_timeout);
	return READ_ONCE(ln->timeout[conn->state]);
}

bool l4lb_conn_expired(const struct l4lb_conn *conn, u32 now)
{
	return (s32)(now - READ_ONCE(conn->deadline)) >= 0;
}

/* May the packet path still use it? Not once expired, dead or orphaned. */
bool l4lb_conn_alive(const struct l4lb_conn *conn, u32 now)
{
	return !READ_ONCE(conn->dead) && !l4lb_conn_expired(conn, now) &&
	       !READ_ONCE(conn->be->svc->dead);
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

void l4lb_conn_refresh(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	u32 deadline = l4lb_now() + l4lb_conn_timeout(ln, conn);

	/* Write the shared line only when the deadline moved a tick or more. */
	if (READ_ONCE(conn->deadline) != deadline)
		WRITE_ONCE(conn->deadline, deadline);
}

/*
 * State changes are lock-free: the client's and the backend's packets may
 * race on two CPUs. A flow counts in &l4lb_backend.active (what the least
 * connection schedulers weigh) until it is closing: the one CPU that moves
 * it to CLOSING, here or in l4lb_conn_unlink(), takes it off.
 */
void l4lb_conn_established(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	cmpxchg(&conn->state, L4LB_CONN_SYN_SEEN, L4LB_CONN_ESTABLISHED);
	l4lb_conn_refresh(ln, conn);
}

void l4lb_conn_closing(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	u8 old = READ_ONCE(conn->state);

	do {
		if (old == L4LB_CONN_CLOSING)
			goto refresh;
	} while (!try_cmpxchg(&conn->state, &old, L4LB_CONN_CLOSING));
	atomic_dec(&conn->be->active);
refresh:
	l4lb_conn_refresh(ln, conn);
}

static void conn_free_rcu(struct rcu_head *head)
{
	struct l4lb_conn *conn = container_of(head, struct l4lb_conn, rcu);

	l4lb_backend_put(conn->be);
	kmem_cache_free(conn_cache, conn);
}

/*
 * Takes the conn out of both tables, once: the packet path and the sweep
 * may both find it expired. Readers under RCU may still hold it.
 */
void l4lb_conn_unlink(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	if (xchg(&conn->dead, 1))
		return;
	rhashtable_remove_fast(&ln->conn_orig, &conn->orig, orig_params);
	rhashtable_remove_fast(&ln->conn_reply, &conn->reply, reply_params);
	if (xchg(&conn->state, L4LB_CONN_CLOSING) != L4LB_CONN_CLOSING)
		atomic_dec(&conn->be->active);
	atomic_dec(&ln->nr_conns);
	call_rcu(&conn->rcu, conn_free_rcu);
}

/*
 * Calls @fn on each flow of bucket @idx of the current table, stopping at
 * the first non-zero return, which it returns. *@size gets the table's
 * size: @idx at or beyond it means the walk is over. Caller holds RCU.
 */
int l4lb_conn_for_bucket(struct l4lb_net *ln, unsigned int idx,
			 unsigned int *size,
			 int (*fn)(struct l4lb_conn *conn, void *arg), void *arg)
{
	struct bucket_table *tbl;
	struct l4lb_conn *conn;
	struct rhash_head *pos;
	int ret;

	tbl = rht_dereference_rcu(ln->conn_orig.tbl, &ln->conn_orig);
	*size = tbl->size;
	if (idx >= tbl->size)
		return 0;
	rht_for_each_entry_rcu(conn, pos, tbl, idx, orig) {
		ret = fn(conn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/* Buckets of the table now; a change between dump messages means a resize. */
unsigned int l4lb_conn_buckets(struct l4lb_net *ln)
{
	unsigned int size;

	rcu_read_lock();
	size = rht_dereference_rcu(ln->conn_orig.tbl, &ln->conn_orig)->size;
	rcu_read_unlock();
	return size;
}

int l4lb_conn_walk(struct l4lb_net *ln,
		   int (*fn)(struct l4lb_conn *conn, void *arg), void *arg)
{
	unsigned int idx, size = 1;
	int ret = 0;

	for (idx = 0; idx < size && !ret; idx++) {
		/* Buckets and entries stay valid until the unlock (RCU). */
		rcu_read_lock();
		ret = l4lb_conn_for_bucket(ln, idx, &size, fn, arg);
		rcu_read_unlock();
		cond_resched();
	}
	return ret;
}

/*
 * The table is full: make room by unlinking one half-open flow (SYN seen,
 * never answered: what a SYN flood leaves), looking at no more than
 * L4LB_EVICT_SCAN entries in as many buckets from a random one. Returns
 * false when none was found: the new flow is refused. Called under RCU.
 */
static bool evict_half_open(struct l4lb_net *ln)
{
	struct bucket_table *tbl = rht_dereference_rcu(ln->conn_orig.tbl,
						       &ln->conn_orig);
	unsigned int i, seen = 0, start = get_random_u32_below(tbl->size);
	struct l4lb_conn *conn;
	struct rhash_head *pos;

	for (i = 0; i < min(tbl->size, L4LB_EVICT_SCAN); i++) {
		rht_for_each_entry_rcu(conn, pos, tbl,
				       (start + i) & (tbl->size - 1), orig) {
			if (READ_ONCE(conn->state) == L4LB_CONN_SYN_SEEN &&
			    !READ_ONCE(conn->dead)) {
				l4lb_conn_unlink(ln, conn);
				return true;
			}
			if (++seen >= L4LB_EVICT_SCAN)
				return false;
		}
	}
	return false;
}

/*
 * A new flow to @be for the client in @key. Returns it, or the flow another
 * CPU inserted for the same key a moment earlier, or NULL when the table is
 * full (and no half-open flow could be evicted) or memory is short: the
 * caller drops the packet. Called under RCU.
 */
struct l4lb_conn *l4lb_conn_create(struct l4lb_net *ln,
				   const struct l4lb_orig_key *key,
				   struct l4lb_backend *be, u8 state)
{
	struct l4lb_conn *conn, *old = NULL;
	struct l4lb_reply_key rkey;

	if (atomic_inc_return(&ln->nr_conns) > READ_ONCE(ln->max_conns) &&
	    !evict_half_open(ln))
		goto err_full;
	if (!l4lb_backend_get(be))
		goto err_full;
	conn = kmem_cache_alloc(conn_cache, GFP_ATOMIC);
	if (!conn)
		goto err_put;
	conn->caddr = key->caddr;
	conn->cport = key->cport;
	conn->be = be;
	conn->state = state;
	conn->dead = 0;
	conn->deadline = l4lb_now() + l4lb_conn_timeout(ln, conn);
	atomic_inc(&be->active);

	old = rhashtable_lookup_get_insert_key(&ln->conn_orig, key,
					       &conn->orig, orig_params);
	if (old)
		goto err_free;
	reply_key_of(conn, &rkey);
	if (rhashtable_lookup_insert_key(&ln->conn_reply, &rkey, &conn->reply,
					 reply_params))
		goto err_orig;
	return conn;

err_orig:
	rhashtable_remove_fast(&ln->conn_orig, &conn->orig, orig_params);
	atomic_dec(&be->active);
	atomic_dec(&ln->nr_conns);
	/* Readers may have found it in conn_orig: free after a grace period. */
	WRITE_ONCE(conn->dead, 1);
	call_rcu(&conn->rcu, conn_free_rcu);
	return NULL;
err_free:
	atomic_dec(&be->active);
	kmem_cache_free(conn_cache, conn);
err_put:
	l4lb_backend_put(be);
err_full:
	atomic_dec(&ln->nr_conns);
	return IS_ERR_OR_NULL(old) ? NULL : old;
}
