// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: every scheduler's choices, on pools built the way the control
 * plane builds them.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/random.h>
#include <linux/l4lb.h>

#include "../../kmod/backend.h"
#include "../../kmod/sched.h"
#include "../../kmod/service.h"

/* A service with @n backends 10.0.2.(11+i):80 of the given weights. */
static struct l4lb_service *make_svc(struct kunit *test, u8 sched,
				     unsigned int n, const u16 *weights)
{
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	struct l4lb_pool *pool;
	unsigned int i;

	svc = kunit_kzalloc(test, sizeof(*svc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	svc->sched = sched;
	INIT_LIST_HEAD(&svc->backends);
	for (i = 0; i < n; i++) {
		be = kunit_kzalloc(test, sizeof(*be), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, be);
		be->key.addr.ip = htonl(0x0a00020b + i);
		be->key.port = htons(80);
		be->weight = weights ? weights[i] : 1;
		be->svc = svc;
		/* The list's reference: never dropped, kunit frees. */
		refcount_set(&be->ref, 1);
		list_add_tail(&be->list, &svc->backends);
		svc->n_backends++;
	}
	pool = l4lb_pool_build(svc);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	RCU_INIT_POINTER(svc->pool, pool);
	return svc;
}

static void drop_svc(struct l4lb_service *svc)
{
	l4lb_pool_free(rcu_dereference_protected(svc->pool, true));
}

static struct l4lb_pool *pool_of(struct l4lb_service *svc)
{
	return rcu_dereference_protected(svc->pool, true);
}

/* Index of the backend picked for @saddr. */
static int pick(struct l4lb_service *svc, __be32 saddr)
{
	struct l4lb_backend *be = l4lb_sched_pick(svc, pool_of(svc), saddr);

	return be ? ntohl(be->key.addr.ip) - 0x0a00020b : -1;
}

static void sched_rr_exact(struct kunit *test)
{
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_RR, 3, NULL);
	int i;

	for (i = 0; i < 9; i++)
		KUNIT_EXPECT_EQ(test, pick(svc, 0), i % 3);
	drop_svc(svc);
}

/* Weight 0 drains: the backend gets nothing, the others go on. */
static void sched_rr_skips_drained(struct kunit *test)
{
	static const u16 w[] = { 1, 0, 1 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_RR, 3, w);
	int i;

	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_NE(test, pick(svc, 0), 1);
	drop_svc(svc);
}

/* As the control plane does after a change: a new pool, the old freed. */
static void rebuild(struct kunit *test, struct l4lb_service *svc)
{
	struct l4lb_pool *pool = l4lb_pool_build(svc);

	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	l4lb_pool_free(pool_of(svc));
	RCU_INIT_POINTER(svc->pool, pool);
}

/*
 * Down (failed health checks) takes a backend out whatever its weight,
 * and the weight is kept: back up, it gets its share again.
 */
static void sched_skips_down(struct kunit *test)
{
	static const u16 w[] = { 1, 2, 1 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_WRR, 3, w);
	struct l4lb_backend *be;
	int i, seen[3] = { 0 };

	be = list_next_entry(list_first_entry(&svc->backends,
					      struct l4lb_backend, list), list);
	be->down = true;
	rebuild(test, svc);
	for (i = 0; i < 8; i++)
		seen[pick(svc, 0)]++;
	KUNIT_EXPECT_EQ(test, seen[0], 4);
	KUNIT_EXPECT_EQ(test, seen[1], 0);
	KUNIT_EXPECT_EQ(test, seen[2], 4);

	be->down = false;
	rebuild(test, svc);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 8; i++)
		seen[pick(svc, 0)]++;
	KUNIT_EXPECT_EQ(test, seen[0], 2);
	KUNIT_EXPECT_EQ(test, seen[1], 4);
	KUNIT_EXPECT_EQ(test, seen[2], 2);
	drop_svc(svc);
}

static void sched_empty_pool(struct kunit *test)
{
	static const u16 w[] = { 0, 0 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_LC, 2, w);

	KUNIT_EXPECT_EQ(test, pick(svc, 0), -1);
	drop_svc(svc);
}

/* Exactly proportional over a whole sequence, and interleaved. */
static void sched_wrr_proportions(struct kunit *test)
{
	static const u16 w[] = { 100, 200, 300 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_WRR, 3, w);
	int count[3] = {}, i, run = 0, longest = 0, last = -1, b;

	KUNIT_EXPECT_EQ(test, pool_of(svc)->wrr_len, 6U);
	for (i = 0; i < 600; i++) {
		b = pick(svc, 0);
		KUNIT_ASSERT_TRUE(test, b >= 0 && b < 3);
		count[b]++;
		run = b == last ? run + 1 : 1;
		longest = max(longest, run);
		last = b;
	}
	KUNIT_EXPECT_EQ(test, count[0], 100);
	KUNIT_EXPECT_EQ(test, count[1], 200);
	KUNIT_EXPECT_EQ(test, count[2], 300);
	/* Smooth: never three in a row for a half share. */
	KUNIT_EXPECT_LE(test, longest, 2);
	drop_svc(svc);
}

static void sched_lc_least_loaded(struct kunit *test)
{
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_LC, 3, NULL);
	struct l4lb_pool *pool = pool_of(svc);

	atomic_set(&pool->be[0]->active, 5);
	atomic_set(&pool->be[1]->active, 2);
	atomic_set(&pool->be[2]->active, 7);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 1);
	atomic_set(&pool->be[1]->active, 9);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 0);
	/* Ties go to the first added. */
	atomic_set(&pool->be[0]->active, 7);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 0);
	drop_svc(svc);
}

static void sched_wlc_weighs(struct kunit *test)
{
	static const u16 w[] = { 1, 3 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_WLC, 2, w);
	struct l4lb_pool *pool = pool_of(svc);

	/* 1/1 against 2/3: the heavier backend is the less loaded. */
	atomic_set(&pool->be[0]->active, 1);
	atomic_set(&pool->be[1]->active, 2);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 1);
	/* 1/1 against 4/3. */
	atomic_set(&pool->be[1]->active, 4);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 0);
	drop_svc(svc);
}

static void sched_sh_stable_and_spread(struct kunit *test)
{
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_SH, 4, NULL);
	int first = pick(svc, htonl(0xc0a80132)), i, seen = 0;

	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, pick(svc, htonl(0xc0a80132)), first);
	for (i = 0; i < 256; i++)
		seen |= 1 << pick(svc, htonl(0xc0a80100 + i));
	KUNIT_EXPECT_EQ(test, seen, 0xf);
	drop_svc(svc);
}

#define MH_KEYS 20000

/* Removing one of N backends remaps at most 1/N + 2% of the keys. */
static void sched_mh_minimal_disruption(struct kunit *test)
{
	static const unsigned int n = 10;
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_MH, n, NULL);
	struct l4lb_backend *gone;
	int *before, moved = 0, i;
	u32 *keys;

	before = kunit_kmalloc_array(test, MH_KEYS, sizeof(*before), GFP_KERNEL);
	keys = kunit_kmalloc_array(test, MH_KEYS, sizeof(*keys), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, keys);
	for (i = 0; i < MH_KEYS; i++) {
		keys[i] = get_random_u32();
		before[i] = pick(svc, (__force __be32)keys[i]);
	}

	/* Take the fourth backend out and rebuild, as the control plane does. */
	gone = list_entry(svc->backends.next->next->next->next,
			  struct l4lb_backend, list);
	list_del(&gone->list);
	svc->n_backends--;
	drop_svc(svc);
	RCU_INIT_POINTER(svc->pool, l4lb_pool_build(svc));
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool_of(svc)));

	for (i = 0; i < MH_KEYS; i++) {
		int now = pick(svc, (__force __be32)keys[i]);

		KUNIT_EXPECT_NE(test, now, 3);
		if (now != before[i])
			moved++;
	}
	KUNIT_EXPECT_LE(test, moved, MH_KEYS / n + MH_KEYS * 2 / 100);
	drop_svc(svc);
}

/*
 * Defect 5: the largest weighted pool (512 backends, weights near 1000
 * with no common divisor) builds in O(len log n), every backend its share
 * exactly, an empty Maglev pool holds no table.
 */
static void sched_wrr_large_pool(struct kunit *test)
{
	const unsigned int n = L4LB_MAX_BACKENDS;
	struct l4lb_service *svc;
	struct l4lb_pool *pool;
	unsigned int i, len = 0, *count;
	u16 *w;

	w = kunit_kcalloc(test, n, sizeof(*w), GFP_KERNEL);
	count = kunit_kcalloc(test, n, sizeof(*count), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, count);
	for (i = 0; i < n; i++) {
		w[i] = L4LB_MAX_WEIGHT - i;
		len += w[i];
	}
	svc = make_svc(test, L4LB_SCHED_WRR, n, w);
	pool = pool_of(svc);
	KUNIT_ASSERT_EQ(test, pool->wrr_len, len);
	for (i = 0; i < len; i++)
		count[pool->wrr[i]]++;
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, count[i], (unsigned int)w[i]);
	drop_svc(svc);

	svc = make_svc(test, L4LB_SCHED_MH, 0, NULL);
	KUNIT_EXPECT_NULL(test, pool_of(svc)->mh);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), -1);
	drop_svc(svc);
}

static struct kunit_case l4lb_sched_cases[] = {
	KUNIT_CASE(sched_rr_exact),
	KUNIT_CASE(sched_rr_skips_drained),
	KUNIT_CASE(sched_skips_down),
	KUNIT_CASE(sched_empty_pool),
	KUNIT_CASE(sched_wrr_proportions),
	KUNIT_CASE(sched_wrr_large_pool),
	KUNIT_CASE(sched_lc_least_loaded),
	KUNIT_CASE(sched_wlc_weighs),
	KUNIT_CASE(sched_sh_stable_and_spread),
	KUNIT_CASE(sched_mh_minimal_disruption),
	{}
};

static struct kunit_suite l4lb_sched_suite = {
	.name = "l4lb-sched",
	.test_cases = l4lb_sched_cases,
};

kunit_test_suite(l4lb_sched_suite);
