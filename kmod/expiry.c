// SPDX-License-Identifier: GPL-2.0
/*
 * Expiry: no timer per flow. Each flow carries its deadline, which the
 * packet path checks on every lookup; this sweep only gives the memory of
 * flows nobody sends to back. Like conntrack's gc_worker it walks the
 * table's buckets with a cursor, whole buckets at a time, at most
 * L4LB_SWEEP_BUDGET buckets and entries a step, yields between steps and
 * paces itself (l4lb_expiry_delay()): never a walk of the whole table in
 * one go, nor every second. A resize during a pass may make it miss or
 * revisit entries; the next pass sees them.
 */

#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>

#include "conn.h"
#include "expiry.h"
#include "netns.h"

/*
 * One step: unlinks the flows past their deadline, or whose backend is
 * down when such flows are dropped, in the next buckets, until @budget
 * buckets and entries were looked at. Sets *@done at the end of a pass.
 * Returns how many it unlinked. Only the sweep work (or a test that
 * stopped it) calls this.
 */
unsigned int l4lb_expiry_step(struct l4lb_net *ln, unsigned int budget,
			      bool *done)
{
	unsigned int cost = 0, gone = 0;
	struct bucket_table *tbl;
	struct l4lb_conn *conn;
	struct rhash_head *pos;
	u32 now = l4lb_now();

	/* Buckets and entries stay valid until the unlock (RCU). */
	rcu_read_lock();
	tbl = rht_dereference_rcu(ln->conn_orig.tbl, &ln->conn_orig);
	while (ln->sweep_pos < tbl->size && cost < budget) {
		rht_for_each_entry_rcu(conn, pos, tbl, ln->sweep_pos, orig) {
			cost++;
			if (!l4lb_conn_alive(conn, now) ||
			    l4lb_conn_backend_down(ln, conn)) {
				l4lb_conn_unlink(ln, conn);
				gone++;
			}
		}
		ln->sweep_pos++;
		cost++;
	}
	*done = ln->sweep_pos >= tbl->size;
	if (*done)
		ln->sweep_pos = 0;
	rcu_read_unlock();
	return gone;
}

/*
 * Jiffies to wait before the next step, which unlinked @gone of @budget:
 * a second after a whole pass (@done); none while steps find much to unlink
 * (a backlog of expired flows, as a flood leaves); else enough that a pass
 * over a table of @pass_cost buckets and flows takes about L4LB_SWEEP_PASS,
 * at least a jiffy a step: the cost of a big table spread out, not a
 * burst every second.
 */
unsigned long l4lb_expiry_delay(unsigned int gone, unsigned int budget,
				unsigned int pass_cost, bool done)
{
	if (done)
		return HZ;
	if (gone * 16 >= budget)
		return 0;
	return clamp_t(u64, DIV_ROUND_UP_ULL((u64)L4LB_SWEEP_PASS * budget,
					     max(pass_cost, 1U)), 1, HZ);
}

static void sweep_work(struct work_struct *work)
{
	struct l4lb_net *ln = container_of(to_delayed_work(work),
					   struct l4lb_net, sweep);
	unsigned int gone, cost;
	bool done;

	gone = l4lb_expiry_step(ln, L4LB_SWEEP_BUDGET, &done);
	cost = atomic_read(&ln->nr_conns);
	/* Idle namespaces cost nothing: the hooks restart the sweep. */
	if (done && !READ_ONCE(ln->hooks_on) && !cost)
		return;
	cost += l4lb_conn_buckets(ln);
	queue_delayed_work(system_power_efficient_wq, &ln->sweep,
			   l4lb_expiry_delay(gone, L4LB_SWEEP_BUDGET, cost,
					     done));
}

void l4lb_expiry_init(struct l4lb_net *ln)
{
	INIT_DELAYED_WORK(&ln->sweep, sweep_work);
}

/* Called when the hooks are registered; a no-op if the sweep is queued. */
void l4lb_expiry_start(struct l4lb_net *ln)
{
	queue_delayed_work(system_power_efficient_wq, &ln->sweep, HZ);
}

/* Synchronous: when it returns, the sweep neither runs nor is queued. */
void l4lb_expiry_stop(struct l4lb_net *ln)
{
	cancel_delayed_work_sync(&ln->sweep);
}
