// SPDX-License-Identifier: GPL-2.0
/*
 * Expiry: no timer per flow. Each flow carries its deadline, which the
 * packet path checks on every lookup; this sweep only gives the memory of
 * flows nobody sends to back. Like conntrack's gc_worker it walks the
 * table's buckets with a cursor, whole buckets at a time, at most
 * L4LB_SWEEP_BUDGET buckets and entries a step, yields between steps and
 * paces itself (l4lb_expiry_delay()): never a walk of the whole table in
 * one go, nor every second. It walks every table of a resize under way
 * (new flows already in the new one); flows moved during a pass may be
 * missed or seen twice, and the next pass sees them.
 */

#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>

#include "conn.h"
#include "departed.h"
#include "expiry.h"
#include "netns.h"
#include "persist.h"

/*
 * One step: unlinks the flows past their deadline, or whose backend is
 * down when such flows are dropped, in the next buckets, until @budget
 * buckets and entries were looked at. Sets *@done at the end of a pass.
 * Returns how many it unlinked. Only the sweep work (or a test that
 * stopped it) calls this.
 */
struct sweep {
	struct l4lb_net *ln;
	u32 now;
	unsigned int cost, gone;
};

static int sweep_one(struct l4lb_conn *conn, void *arg)
{
	struct sweep *sw = arg;

	sw->cost++;
	if (unlikely(l4lb_conn_is_tpl(conn))) {
		sw->gone += l4lb_tpl_sweep(sw->ln, conn);
		return 0;
	}
	if (!l4lb_conn_alive(conn, sw->now) ||
	    l4lb_conn_backend_down(sw->ln, conn)) {
		l4lb_conn_unlink(sw->ln, conn);
		sw->gone++;
	}
	return 0;
}

unsigned int l4lb_expiry_step(struct l4lb_net *ln, unsigned int budget,
			      bool *done)
{
	struct sweep sw = { .ln = ln, .now = l4lb_now() };
	unsigned int size = 1;

	/* Buckets and entries stay valid until the unlock (RCU). */
	rcu_read_lock();
	while (sw.cost < budget) {
		l4lb_conn_for_bucket(ln, ln->sweep_pos, &size, sweep_one, &sw);
		if (ln->sweep_pos >= size)
			break;
		ln->sweep_pos++;
		sw.cost++;
	}
	*done = ln->sweep_pos >= size;
	if (*done)
		ln->sweep_pos = 0;
	rcu_read_unlock();
	return sw.gone;
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
	if (done)
		l4lb_departed_reap(ln);
	cost = atomic_read(&ln->nr_conns);
	/*
	 * Idle namespaces cost nothing: the hooks restart the sweep. Not
	 * idle while removed backends are remembered: their entries (and
	 * the services they hold) go in time.
	 */
	if (done && !READ_ONCE(ln->hooks_on) && !cost &&
	    !atomic_read(&ln->departed.nelems))
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
