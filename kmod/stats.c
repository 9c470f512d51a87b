// SPDX-License-Identifier: GPL-2.0
/* Per-CPU counters: allocation and summing for netlink. */

#include "stats.h"

struct l4lb_stats __percpu *l4lb_stats_alloc(void)
{
	struct l4lb_stats __percpu *stats;
	int cpu;

	stats = alloc_percpu_gfp(struct l4lb_stats, GFP_KERNEL_ACCOUNT);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void l4lb_stats_sum(struct l4lb_stats __percpu *stats,
		    struct l4lb_stats_sum *sum)
{
	struct l4lb_stats_sum one;
	unsigned int start, i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct l4lb_stats *s = per_cpu_ptr(stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			one.conns = u64_stats_read(&s->conns);
			one.adopted = u64_stats_read(&s->adopted);
			one.pkts_in = u64_stats_read(&s->pkts_in);
			one.bytes_in = u64_stats_read(&s->bytes_in);
			one.pkts_out = u64_stats_read(&s->pkts_out);
			one.bytes_out = u64_stats_read(&s->bytes_out);
			for (i = 0; i < __L4LB_DROP_MAX; i++)
				one.drops[i] = u64_stats_read(&s->drops[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		sum->conns += one.conns;
		sum->adopted += one.adopted;
		sum->pkts_in += one.pkts_in;
		sum->bytes_in += one.bytes_in;
		sum->pkts_out += one.pkts_out;
		sum->bytes_out += one.bytes_out;
		for (i = 0; i < __L4LB_DROP_MAX; i++)
			sum->drops[i] += one.drops[i];
	}
}
