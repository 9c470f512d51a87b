// SPDX-License-Identifier: GPL-2.0
/*
 * Expiry: no timer per flow. Each flow carries its deadline, which the
 * packet path checks on every lookup; this sweep only gives the memory of
 * flows nobody sends to back. It walks the table in steps of at most
 * L4LB_SWEEP_BUDGET entries, yielding between steps, resuming where it
 * stopped, and waits a second between whole passes. When the last entry
 * a step looked at was unlinked, the walk resumes by position in its
 * bucket and may skip one neighbour: the next pass takes it.
 */

#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>

#include "conn.h"
#include "expiry.h"
#include "netns.h"

/*
 * One step: looks at up to @budget flows and unlinks those past their
 * deadline or whose service is gone. Sets *@done at the end of a pass.
 * Returns how many it unlinked. Only the sweep work (or a test holding it
 * off) calls this.
 */
unsigned int l4lb_expiry_step(struct l4lb_net *ln, unsigned int budget,
			      bool *done)
{
	struct l4lb_conn *conn;
	unsigned int seen = 0, gone = 0;
	u32 now = l4lb_now();

	if (!ln->sweeping) {
		rhashtable_walk_enter(&ln->conn_orig, &ln->sweep_iter);
		ln->sweeping = true;
	}
	*done = false;
	rhashtable_walk_start(&ln->sweep_iter);
	while (seen < budget) {
		conn = rhashtable_walk_next(&ln->sweep_iter);
		if (!conn) {
			*done = true;
			break;
		}
		/* A resize moved things: the walk goes on, maybe twice over. */
		if (IS_ERR(conn))
			continue;
		seen++;
		if (!l4lb_conn_alive(conn, now)) {
			l4lb_conn_unlink(ln, conn);
			gone++;
		}
	}
	rhashtable_walk_stop(&ln->sweep_iter);
	if (*done) {
		rhashtable_walk_exit(&ln->sweep_iter);
		ln->sweeping = false;
	}
	return gone;
}

static void sweep_work(struct work_struct *work)
{
	struct l4lb_net *ln = container_of(to_delayed_work(work),
					   struct l4lb_net, sweep);
	bool done;

	l4lb_expiry_step(ln, L4LB_SWEEP_BUDGET, &done);
	/* Idle namespaces cost nothing: the hooks restart the sweep. */
	if (done && !READ_ONCE(ln->hooks_on) && !atomic_read(&ln->nr_conns))
		return;
	/* Mid-pass: go on at once, after others had the CPU. */
	queue_delayed_work(system_power_efficient_wq, &ln->sweep,
			   done ? HZ : 0);
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
	if (ln->sweeping) {
		rhashtable_walk_exit(&ln->sweep_iter);
		ln->sweeping = false;
	}
}
