/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_STATS_H
#define _L4LB_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <linux/l4lb.h>

/**
 * struct l4lb_stats - per-CPU counters of a service or a backend; "in" is
 * client to backend, "out" backend to client
 * @conns: flows (UDP: sessions) created
 * @adopted: of them, adopted mid-connection (sh, mh)
 * @drops: packets dropped, by &enum l4lb_drop_reason
 * @syncp: consistent 64-bit reads on 32-bit machines
 */
struct l4lb_stats {
	u64_stats_t conns;
	u64_stats_t adopted;
	u64_stats_t pkts_in;
	u64_stats_t bytes_in;
	u64_stats_t pkts_out;
	u64_stats_t bytes_out;
	u64_stats_t drops[__L4LB_DROP_MAX];
	struct u64_stats_sync syncp;
};

/* A plain sum over every CPU, for netlink. */
struct l4lb_stats_sum {
	u64 conns;
	u64 adopted;
	u64 pkts_in;
	u64 bytes_in;
	u64 pkts_out;
	u64 bytes_out;
	u64 drops[__L4LB_DROP_MAX];
};

struct l4lb_stats __percpu *l4lb_stats_alloc(void);
void l4lb_stats_sum(struct l4lb_stats __percpu *stats,
		    struct l4lb_stats_sum *sum);

/* Packet path, softirq: this CPU's counters only. */
static inline void l4lb_stats_packet(struct l4lb_stats __percpu *stats,
				     bool in, unsigned int len)
{
	struct l4lb_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(in ? &s->pkts_in : &s->pkts_out);
	u64_stats_add(in ? &s->bytes_in : &s->bytes_out, len);
	u64_stats_update_end(&s->syncp);
}

static inline void l4lb_stats_conn(struct l4lb_stats __percpu *stats,
				   bool adopted)
{
	struct l4lb_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->conns);
	if (adopted)
		u64_stats_inc(&s->adopted);
	u64_stats_update_end(&s->syncp);
}

static inline void l4lb_stats_drop(struct l4lb_stats __percpu *stats,
				   enum l4lb_drop_reason reason)
{
	struct l4lb_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->drops[reason]);
	u64_stats_update_end(&s->syncp);
}

#endif /* _L4LB_STATS_H */
