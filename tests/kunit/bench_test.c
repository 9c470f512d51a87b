// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit micro-benchmarks of the flow table (CONFIG_L4LB_KUNIT_BENCH; run by
 * `make bench` through tests/kunit/run.sh --bench, never by make check):
 *
 *   l4lb_bench_lookup: the cost of a client-side lookup (key built, table
 *	searched) as the table grows from a thousand to a million flows, for
 *	keys spread over all flows and for a hot set of a thousand flows
 *	among them, with the bytes each flow takes, buckets included, and
 *	beside it the cost of two reads at random places in as many bytes
 *	(a bucket and an entry: what no hash table avoids);
 *   l4lb_bench_sweep: the sweep clearing a million expired flows, each
 *	step timed.
 *
 * Figures are printed as "bench: ..." lines of KEY=VALUE (integers:
 * picoseconds, nanoseconds, hundredths of a byte) that tests/bench/report.py
 * reads from the KUnit log. The tests fail only when the table does
 * (a flow not inserted, not found, not swept).
 */

#include <linux/delay.h>
#include <linux/in.h>
#include <linux/ktime.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../../kmod/expiry.h"
#include "fixture.h"

#define BENCH_PORT	1234
/* Lookups a timed run makes, and runs a figure takes the fastest of. */
#define BENCH_LOOKUPS	200000U
#define BENCH_RUNS	5
/* The flows still sending in a big table: the hot set. */
#define BENCH_HOT	1000U
#define BENCH_FLOWS_MAX	1000000U

static const u32 bench_sizes[] = {
	1000, 3000, 10000, 30000, 100000, 300000, BENCH_FLOWS_MAX,
};

/* Flow @i comes from 11.0.0.0 + @i, port BENCH_PORT. */
static u32 bench_addr(u32 i)
{
	return 0x0b000000 + i;
}

/*
 * Waits until no resize of @ht is due or under way, so that every size is
 * measured in a settled table, as traffic would find it.
 */
static void bench_settle(struct rhashtable *ht)
{
	struct bucket_table *tbl;
	bool busy;
	int i;

	for (i = 0; i < 10000; i++) {
		/* The table and its successor stay valid until the unlock. */
		rcu_read_lock();
		tbl = rht_dereference_rcu(ht->tbl, ht);
		busy = rht_grow_above_75(ht, tbl) ||
		       rcu_access_pointer(tbl->future_tbl);
		rcu_read_unlock();
		if (!busy)
			return;
		usleep_range(1000, 2000);
	}
}

static unsigned int bench_buckets(struct rhashtable *ht)
{
	unsigned int size;

	/* The table stays valid until the unlock. */
	rcu_read_lock();
	size = rht_dereference_rcu(ht->tbl, ht)->size;
	rcu_read_unlock();
	return size;
}

/* Adds flows @from to @to - 1; returns how many could not be. */
static u32 bench_fill(struct conn_fixture *f, u32 from, u32 to)
{
	u32 i, failed = 0;
	int tries;

	for (i = from; i < to; i++) {
		/* A resize in flight may refuse an insert: let it finish. */
		for (tries = 0; tries < 100; tries++) {
			if (conn_fixture_create(f, bench_addr(i), BENCH_PORT))
				break;
			usleep_range(1000, 2000);
		}
		failed += tries == 100;
		if (!(i & 1023))
			cond_resched();
	}
	bench_settle(&f->ln->conn_orig);
	bench_settle(&f->ln->conn_reply);
	return failed;
}

/*
 * Picoseconds a lookup takes, the fastest of BENCH_RUNS runs: keys drawn
 * at random from @span flows @stride apart. Counts lookups that found
 * nothing in *@misses.
 */
static u64 bench_lookup_ps(struct conn_fixture *f, u32 span, u32 stride,
			   u32 *misses)
{
	u64 t0, best = U64_MAX;
	struct l4lb_orig_key k;
	u32 x = 2463534242U, i, idx;
	int run;

	for (run = 0; run < BENCH_RUNS; run++) {
		t0 = ktime_get_ns();
		/* The flows found are only tested, within the section. */
		rcu_read_lock();
		for (i = 0; i < BENCH_LOOKUPS; i++) {
			/* xorshift32: cheap, the same sequence every run */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			idx = (u32)(((u64)x * span) >> 32) * stride;
			l4lb_orig_key_svc4(&k, f->svc,
					   htonl(bench_addr(idx)),
					   htons(BENCH_PORT));
			if (!l4lb_conn_lookup_orig(f->ln, &k))
				(*misses)++;
		}
		rcu_read_unlock();
		best = min(best, ktime_get_ns() - t0);
		cond_resched();
	}
	return div_u64(best * 1000, BENCH_LOOKUPS);
}

/*
 * Picoseconds two reads at random places in @bytes of memory take, each
 * waiting for the one before (as an entry waits for its bucket, and as
 * lookups are too busy to overlap much): the memory's latency, what a
 * lookup cannot go below once its table outgrows the caches. The fastest
 * of BENCH_RUNS runs; 0 if the memory could not be had.
 */
static u64 bench_memory_ps(size_t bytes)
{
	u32 x = 2463534242U, i, words = bytes / sizeof(u64);
	u64 t0, best = U64_MAX, *mem, v = 0;
	int run;

	mem = vzalloc(bytes);
	if (!mem)
		return 0;
	for (run = 0; run < BENCH_RUNS; run++) {
		t0 = ktime_get_ns();
		for (i = 0; i < BENCH_LOOKUPS; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* v is always 0 (zeroed), but each read waits for it. */
			v = READ_ONCE(mem[(((u64)x * words) >> 32) + v]);
			v = READ_ONCE(mem[(((u64)(x ^ 0x5bd1e995U) * words) >>
					   32) + v]);
		}
		best = min(best, ktime_get_ns() - t0);
		cond_resched();
	}
	vfree(mem);
	return div_u64(best * 1000, BENCH_LOOKUPS);
}

static void l4lb_bench_lookup(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	u32 n, have = 0, misses = 0, span;
	unsigned int orig, reply, slab;
	u64 all_ps, hot_ps, mem_ps, t0, fill_ns;
	int s;

	f->ln->max_conns = 2 * BENCH_FLOWS_MAX;
	for (s = 0; s < ARRAY_SIZE(bench_sizes); s++) {
		n = bench_sizes[s];
		t0 = ktime_get_ns();
		KUNIT_ASSERT_EQ(test, bench_fill(f, have, n), 0U);
		fill_ns = div_u64(ktime_get_ns() - t0, n - have);
		have = n;

		all_ps = bench_lookup_ps(f, n, 1, &misses);
		span = min(n, BENCH_HOT);
		hot_ps = bench_lookup_ps(f, span, n / span, &misses);
		KUNIT_EXPECT_EQ(test, misses, 0U);

		orig = bench_buckets(&f->ln->conn_orig);
		reply = bench_buckets(&f->ln->conn_reply);
		slab = ksize(conn_fixture_find(f, bench_addr(0), BENCH_PORT));
		mem_ps = bench_memory_ps((size_t)slab * n +
					 sizeof(struct rhash_lock_head *) *
					 (orig + reply));
		kunit_info(test,
			   "bench: lookup flows=%u all_ps=%llu hot_ps=%llu mem_ps=%llu insert_ns=%llu slab_bytes=%u buckets=%u bytes_x100=%llu\n",
			   n, all_ps, hot_ps, mem_ps, fill_ns, slab, orig + reply,
			   div_u64(100ULL * slab * n + 100ULL *
				   sizeof(struct rhash_lock_head *) *
				   (orig + reply), n));
	}
}

/*
 * A million flows past their deadline: the sweep, timed, until the table
 * is empty. A pass ends early on a table that shrank under it (rhashtable
 * shrinks as the flows go), and the next pass takes the rest.
 */
static void l4lb_bench_sweep(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	u64 start, t0, step, max_step = 0, pass_ns, freed_ns;
	unsigned int gone = 0, steps = 0, passes = 0;
	bool done;

	f->ln->max_conns = 2 * BENCH_FLOWS_MAX;
	KUNIT_ASSERT_EQ(test, bench_fill(f, 0, BENCH_FLOWS_MAX), 0U);
	/* Half-open flows live 30 s: now every one is expired. */
	l4lb_clock_offset = 31 * HZ;
	f->ln->sweep_pos = 0;

	start = ktime_get_ns();
	while (atomic_read(&f->ln->nr_conns) && passes < 8) {
		passes++;
		done = false;
		while (!done) {
			t0 = ktime_get_ns();
			gone += l4lb_expiry_step(f->ln, L4LB_SWEEP_BUDGET,
						 &done);
			step = ktime_get_ns() - t0;
			max_step = max(max_step, step);
			steps++;
			/* As the sweep's work yields between its steps. */
			cond_resched();
		}
	}
	pass_ns = ktime_get_ns() - start;
	/* Every unlinked flow's memory is back once its grace period ends. */
	rcu_barrier();
	freed_ns = ktime_get_ns() - start;

	KUNIT_EXPECT_EQ(test, gone, BENCH_FLOWS_MAX);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	kunit_info(test,
		   "bench: sweep flows=%u passes=%u steps=%u max_step_ns=%llu pass_ns=%llu freed_ns=%llu\n",
		   gone, passes, steps, max_step, pass_ns, freed_ns);
}

static struct kunit_case l4lb_bench_cases[] = {
	KUNIT_CASE(l4lb_bench_lookup),
	KUNIT_CASE(l4lb_bench_sweep),
	{}
};

static struct kunit_suite l4lb_bench_suite = {
	.name = "l4lb_bench",
	.init = conn_fixture_init,
	.exit = conn_fixture_exit,
	.test_cases = l4lb_bench_cases,
};

kunit_test_suite(l4lb_bench_suite);
