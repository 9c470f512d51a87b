// SPDX-License-Identifier: GPL-2.0
/*
 * Schedulers: which backend a new flow goes to. All the work that grows
 * with the pool (weighted sequences, Maglev's table) happens when the pool
 * is built, under &l4lb_net.lock; picking costs O(1), except for the least
 * connection schedulers, which look at every backend of the pool (at most
 * L4LB_MAX_BACKENDS), never at the flows, and while a backend is full
 * (max-conns), when the search for one that is not walks the pool (twice
 * for wrr at most).
 */

#include <linux/gcd.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/l4lb.h>

#include "backend.h"
#include "persist.h"
#include "sched.h"
#include "service.h"

/*
 * Fixed, so a backend's Maglev permutation is the same on every build, on
 * every balancer, on every boot: balancers behind ECMP must agree.
 */
#define MH_SEED_OFFSET	0x6c346c62
#define MH_SEED_SKIP	0x5e1ec7ed

void l4lb_pool_free(struct l4lb_pool *pool)
{
	unsigned int i;

	if (!pool)
		return;
	for (i = 0; i < pool->n; i++)
		l4lb_backend_put(pool->be[i]);
	kvfree(pool->mh);
	kvfree(pool->wrr);
	kfree(pool->be);
	kfree(pool);
}

static void pool_free_rcu(struct rcu_head *head)
{
	l4lb_pool_free(container_of(head, struct l4lb_pool, rcu));
}

/* After a grace period: packets may be choosing from it right now. */
void l4lb_pool_free_rcu(struct l4lb_pool *pool)
{
	if (pool)
		call_rcu(&pool->rcu, pool_free_rcu);
}

/* The backends' next turns in weighted round robin's sequence, a heap. */
struct wrr_heap {
	const u32 *w;
	u32 *turn;
	u16 *h;
	unsigned int n;
};

/*
 * Is backend @a's next turn before @b's? Backend i's k-th turn falls at
 * (2k + 1) / 2w_i, compared without a division; ties go to the earlier.
 */
static bool wrr_before(const struct wrr_heap *hp, u16 a, u16 b)
{
	u64 ta = (2ULL * hp->turn[a] + 1) * hp->w[b];
	u64 tb = (2ULL * hp->turn[b] + 1) * hp->w[a];

	return ta < tb || (ta == tb && a < b);
}

static void wrr_sift_down(struct wrr_heap *hp, unsigned int i)
{
	unsigned int c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= hp->n)
			return;
		if (c + 1 < hp->n && wrr_before(hp, hp->h[c + 1], hp->h[c]))
			c++;
		if (!wrr_before(hp, hp->h[c], hp->h[i]))
			return;
		swap(hp->h[c], hp->h[i]);
		i = c;
	}
}

/*
 * Smooth weighted round robin: every backend appears weight/gcd times in a
 * sequence of sum(weight)/gcd entries, its turns evenly spaced and the
 * backends' turns merged in time order, so they come interleaved rather
 * than in runs. A heap of next turns builds it in O(len log n): at most
 * L4LB_MAX_BACKENDS x L4LB_MAX_WEIGHT entries, yielding as it goes.
 */
static int build_wrr(struct l4lb_pool *pool)
{
	unsigned int i, j, len = 0, g = 0;
	struct wrr_heap hp = { .n = pool->n };
	u32 *w;

	for (i = 0; i < pool->n; i++)
		g = gcd(g, pool->be[i]->weight);
	for (i = 0; i < pool->n; i++)
		len += pool->be[i]->weight / g;
	pool->wrr = kvmalloc_array(len, sizeof(*pool->wrr), GFP_KERNEL_ACCOUNT);
	w = kcalloc(pool->n, 2 * sizeof(u32) + sizeof(u16), GFP_KERNEL_ACCOUNT);
	if (!pool->wrr || !w) {
		kfree(w);
		return -ENOMEM;
	}
	hp.w = w;
	hp.turn = w + pool->n;
	hp.h = (u16 *)(hp.turn + pool->n);
	for (i = 0; i < pool->n; i++) {
		w[i] = pool->be[i]->weight / g;
		hp.h[i] = i;
	}
	for (i = pool->n / 2; i-- > 0;)
		wrr_sift_down(&hp, i);
	for (j = 0; j < len; j++) {
		/* A backend past its last turn sinks below every other. */
		pool->wrr[j] = hp.h[0];
		hp.turn[hp.h[0]]++;
		wrr_sift_down(&hp, 0);
		if (!(j % 4096))
			cond_resched();
	}
	pool->wrr_len = len;
	kfree(w);
	return 0;
}

static u32 be_hash(const struct l4lb_backend *be, u32 seed)
{
	return jhash2((const u32 *)&be->key.addr, 4,
		      seed ^ (__force u32)be->key.port);
}

/*
 * Maglev (Eisenbud et al., NSDI 2016): each backend walks its own
 * permutation of the table, derived from its address and port alone,
 * taking the next free slot in turn; a backend of weight w takes w turns
 * for every w_max of the heaviest (IPVS's mh weighs alike). The backends
 * take their turns in address order (l4lb_pool_build() sorts them), so the
 * table depends on the set of backends and weights only, never on the
 * order they were added in: balancers configured apart agree. Removing one
 * of N backends moves about 1/N of the keys.
 */
static int build_mh(struct l4lb_pool *pool)
{
	const u32 m = L4LB_MH_TABLE_SIZE;
	u32 *offset, *skip, *next, *taken;
	unsigned int i, filled = 0;
	u32 c, round, wmax = 0;

	/* No backend, no table: an empty pool picks nothing anyway. */
	if (!pool->n)
		return 0;
	pool->mh = kvmalloc_array(m, sizeof(*pool->mh), GFP_KERNEL_ACCOUNT);
	offset = kcalloc(pool->n * 4, sizeof(u32), GFP_KERNEL_ACCOUNT);
	if (!pool->mh || !offset) {
		kfree(offset);
		return -ENOMEM;
	}
	skip = offset + pool->n;
	next = skip + pool->n;
	taken = next + pool->n;
	for (i = 0; i < pool->n; i++) {
		offset[i] = be_hash(pool->be[i], MH_SEED_OFFSET) % m;
		skip[i] = be_hash(pool->be[i], MH_SEED_SKIP) % (m - 1) + 1;
		wmax = max_t(u32, wmax, pool->be[i]->weight);
	}
	memset(pool->mh, 0xff, m * sizeof(*pool->mh));
	/* Rounds <= m: the heaviest takes a slot in every one. */
	for (round = 1; filled < m; round++) {
		for (i = 0; i < pool->n && filled < m; i++) {
			while (taken[i] < round * pool->be[i]->weight / wmax &&
			       filled < m) {
				do {
					c = (offset[i] + (u64)next[i] * skip[i]) % m;
					next[i]++;
				} while (pool->mh[c] != 0xffff);
				pool->mh[c] = i;
				taken[i]++;
				filled++;
			}
		}
		if (!(round % 64))
			cond_resched();
	}
	kfree(offset);
	return 0;
}

/* Address, then port: an order every balancer computes alike. */
static int be_cmp(const void *a, const void *b)
{
	const struct l4lb_backend *x = *(struct l4lb_backend * const *)a;
	const struct l4lb_backend *y = *(struct l4lb_backend * const *)b;
	int r = memcmp(&x->key.addr, &y->key.addr, sizeof(x->key.addr));

	return r ? r : memcmp(&x->key.port, &y->key.port, sizeof(x->key.port));
}

/* Called under &l4lb_net.lock; returns a pool holding its backends. */
struct l4lb_pool *l4lb_pool_build(struct l4lb_service *svc)
{
	struct l4lb_backend *be;
	struct l4lb_pool *pool;
	int ret = -ENOMEM;

	/* Charged to the caller's memory cgroup, as all configuration is. */
	pool = kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->be = kcalloc(max(svc->n_backends, 1U), sizeof(*pool->be),
			   GFP_KERNEL_ACCOUNT);
	if (!pool->be)
		goto err;
	list_for_each_entry(be, &svc->backends, list) {
		if (be->fallback || !l4lb_backend_usable(be))
			continue;
		refcount_inc(&be->ref);
		pool->be[pool->n++] = be;
	}
	/* The fallback server, only while no other backend can serve. */
	be = svc->fallback;
	if (!pool->n && be && l4lb_backend_usable(be)) {
		refcount_inc(&be->ref);
		pool->be[pool->n++] = be;
	}
	/* rr goes in the order backends were added; hashes must not. */
	if (l4lb_sched_hashes(svc->sched))
		sort(pool->be, pool->n, sizeof(*pool->be), be_cmp, NULL);
	if (svc->sched == L4LB_SCHED_WRR && pool->n)
		ret = build_wrr(pool);
	else if (svc->sched == L4LB_SCHED_MH)
		ret = build_mh(pool);
	else
		ret = 0;
	if (ret)
		goto err;
	return pool;

err:
	l4lb_pool_free(pool);
	return ERR_PTR(ret);
}

/*
 * Least (weighted) connections among the backends that are not full, or
 * all of them when @limits is false; NULL when every one is full.
 */
static struct l4lb_backend *pick_lc(const struct l4lb_pool *pool, bool weighted,
				    bool limits)
{
	struct l4lb_backend *best = NULL, *be;
	u64 best_load = 0, load;
	unsigned int i;

	/* Compare active/weight as active_a * weight_b < active_b * weight_a. */
	for (i = 0; i < pool->n; i++) {
		be = pool->be[i];
		if (limits && l4lb_backend_full(be))
			continue;
		load = atomic_read(&be->active);
		if (!best || (weighted ? load * READ_ONCE(best->weight) <
					 best_load * READ_ONCE(be->weight) :
					 load < best_load)) {
			best = be;
			best_load = load;
		}
	}
	return best;
}

/*
 * The first backend that is not full from pool->be[@start] on, in the
 * pool's order (rr: IPVS's rr skips an overloaded one alike); NULL when
 * every one is full. At most L4LB_MAX_BACKENDS steps, taken only while a
 * backend is full.
 */
static struct l4lb_backend *spill(const struct l4lb_pool *pool, u32 start)
{
	struct l4lb_backend *be;
	unsigned int i;

	for (i = 0; i < pool->n; i++) {
		be = pool->be[(start + i) % pool->n];
		if (!l4lb_backend_full(be))
			return be;
	}
	return NULL;
}

/*
 * sh's and mh's hash of a client: its address (all of an IPv6 one), and
 * its port if asked. A persistent service's hashes the client's network
 * under the mask, without the port: what its template is keyed by, so a
 * flow adopted without a SYN, here or on another balancer, goes where the
 * template sends the network's new flows.
 */
static u32 client_hash(const struct l4lb_service *svc, u32 seed,
		       const union nf_inet_addr *saddr, __be16 sport)
{
	u32 persist = READ_ONCE(svc->persist);
	union nf_inet_addr net;
	u32 addr;

	if (persist) {
		l4lb_persist_net(svc, persist, saddr, &net);
		saddr = &net;
	}
	addr = (__force u32)saddr->ip;
	if (svc->key.family == AF_INET6)
		addr = jhash2((const u32 *)saddr->ip6, 4, seed);
	if ((READ_ONCE(svc->flags) & L4LB_SVC_F_HASH_PORT) && !persist)
		return jhash_2words(addr, (__force u32)sport, seed);
	return jhash_1word(addr, seed);
}

/* sh and mh: where a full backend's new client goes instead. */
#define SPILL_SEED	0x5b111ed5

/*
 * Weighted round robin: the next turns of the sequence, as many as the
 * pool has backends, then the pool's order from the last one tried.
 */
static struct l4lb_backend *pick_wrr(struct l4lb_service *svc,
				     const struct l4lb_pool *pool, bool limits)
{
	u32 pos = (u32)atomic_inc_return(&svc->rr_pos) % pool->wrr_len;
	struct l4lb_backend *be = pool->be[pool->wrr[pos]];
	unsigned int i;

	if (!limits || !l4lb_backend_full(be))
		return be;
	for (i = 1; i < min(pool->n, pool->wrr_len); i++) {
		be = pool->be[pool->wrr[(pos + i) % pool->wrr_len]];
		if (!l4lb_backend_full(be))
			return be;
	}
	return spill(pool, pool->wrr[(pos + i - 1) % pool->wrr_len]);
}

/*
 * sh and mh: the hash's backend; if it is full, a second hash of the
 * client chooses where the search for one that is not starts, so a full
 * backend's new clients spread over the others and every other client
 * keeps its backend. Unlike a backend that is down or drained, which
 * leaves the pool (sh then rehashes every client, mh about 1/N of them),
 * a full one stays: a pool cannot be rebuilt at every flow, and when the
 * backend is no longer full its clients come back to it.
 */
static struct l4lb_backend *pick_hash(struct l4lb_service *svc,
				      const struct l4lb_pool *pool, u32 seed,
				      u32 hash, bool limits)
{
	struct l4lb_backend *be;

	if (svc->sched == L4LB_SCHED_MH)
		be = pool->be[pool->mh[reciprocal_scale(hash,
						L4LB_MH_TABLE_SIZE)]];
	else
		be = pool->be[reciprocal_scale(hash, pool->n)];
	if (!limits || !l4lb_backend_full(be))
		return be;
	return spill(pool, reciprocal_scale(jhash_1word(hash,
							seed ^ SPILL_SEED),
					    pool->n));
}

/*
 * Picks a backend for a new flow from @saddr:@sport (of the service's
 * family); NULL when the pool is empty, or, with @full given, when every
 * backend of it is full (*@full is set then). sh and mh depend on nothing
 * but the pool, @seed (the namespace's hash seed) and the client: every
 * balancer with the same configuration picks the same, unless a backend
 * is full (@full given: a flow's first packet; not for a connection
 * adopted mid-way, which must reach the backend that holds it), which is
 * each balancer's own count. Called under RCU, with @pool from
 * rcu_dereference().
 */
struct l4lb_backend *l4lb_sched_pick(struct l4lb_service *svc,
				     const struct l4lb_pool *pool, u32 seed,
				     const union nf_inet_addr *saddr,
				     __be16 sport, bool *full)
{
	const bool limits = full;
	struct l4lb_backend *be;
	u32 n = pool->n, pos;

	if (!n)
		return NULL;
	switch (svc->sched) {
	case L4LB_SCHED_WRR:
		be = pick_wrr(svc, pool, limits);
		break;
	case L4LB_SCHED_LC:
		be = pick_lc(pool, false, limits);
		break;
	case L4LB_SCHED_WLC:
		be = pick_lc(pool, true, limits);
		break;
	case L4LB_SCHED_SH:
	case L4LB_SCHED_MH:
		be = pick_hash(svc, pool, seed,
			       client_hash(svc, seed, saddr, sport), limits);
		break;
	default:
		pos = ((u32)atomic_inc_return(&svc->rr_pos) - 1) % n;
		be = pool->be[pos];
		if (limits && l4lb_backend_full(be))
			be = spill(pool, pos);
		break;
	}
	if (!be && full)
		*full = true;
	return be;
}
