// SPDX-License-Identifier: GPL-2.0
/*
 * Removed backends' addresses. A backend deleted (or whose service was)
 * may still send: retransmissions of a flow flushed or expired under it,
 * answers of a UDP session that moved. Those must not reach a client with
 * the backend's own address, so its address, port and protocol are kept
 * here while any flow can still hold it, and for the longest a flow of it
 * lives idle after that; a packet from one with no flow is dropped and
 * counted as stray. The sweep (expiry.c) forgets what is past its time.
 */

#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "conn.h"
#include "departed.h"
#include "netns.h"
#include "service.h"

static const struct rhashtable_params departed_params = {
	.head_offset = offsetof(struct l4lb_departed, node),
	.key_offset = offsetof(struct l4lb_departed, key),
	.key_len = sizeof(struct l4lb_be_key),
	.automatic_shrinking = true,
};

int l4lb_departed_table_init(struct l4lb_net *ln)
{
	return rhashtable_init(&ln->departed, &departed_params);
}

static void departed_free_rcu(struct rcu_head *head)
{
	struct l4lb_departed *d = container_of(head, struct l4lb_departed, rcu);

	/* Nobody else holds it: the last reference went. */
	l4lb_service_put(rcu_dereference_protected(d->svc, true));
	kfree(d);
	atomic_dec(&l4lb_objects);
}

static void departed_put(struct l4lb_departed *d)
{
	if (refcount_dec_and_test(&d->ref))
		call_rcu(&d->rcu, departed_free_rcu);
}

static void departed_free_one(void *ptr, void *arg)
{
	departed_put(ptr);
}

/*
 * The namespace goes: no packet sees the table any more. Entries that
 * removed backends still hold go with the last of those.
 */
void l4lb_departed_table_uninit(struct l4lb_net *ln)
{
	rhashtable_free_and_destroy(&ln->departed, departed_free_one, NULL);
}

/*
 * How long a flow of @be may live idle, so long its late packets come: a
 * TCP flow established or half-closed (a flushed connection's backend
 * retransmits about as long), a UDP session its service's timeout.
 */
static u32 departed_hold(const struct l4lb_net *ln,
			 const struct l4lb_backend *be)
{
	if (be->key.proto == IPPROTO_UDP)
		return be->svc->udp_timeout;
	return max(READ_ONCE(ln->timeout[L4LB_TIMEOUT_ESTABLISHED]),
		   READ_ONCE(ln->timeout[L4LB_TIMEOUT_FIN_WAIT]));
}

/*
 * @be leaves its service: its key is remembered, the entry held by @be
 * until @be goes (l4lb_departed_release()). Not a stateless service's
 * backend: it has no flow, and nothing to send late but answers already
 * on their way. Without memory for a new entry, or with as many entries
 * as the namespace may have backends (a loop of adds and deletes must not
 * grow the table without end), the backend goes unremembered, as before
 * there was this table. Caller holds &l4lb_net.lock.
 */
void l4lb_departed_add(struct l4lb_net *ln, struct l4lb_backend *be)
{
	struct l4lb_service *old;
	struct l4lb_departed *d;

	lockdep_assert_held(&ln->lock);

	if (READ_ONCE(be->svc->flags) & L4LB_SVC_F_STATELESS)
		return;
	d = rhashtable_lookup_fast(&ln->departed, &be->key, departed_params);
	if (!d) {
		if (atomic_read(&ln->departed.nelems) >=
		    l4lb_net_max_backends(ln))
			return;
		d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
		if (!d)
			return;
		d->key = be->key;
		refcount_set(&d->ref, 1);
		refcount_inc(&be->svc->ref);
		RCU_INIT_POINTER(d->svc, be->svc);
		if (rhashtable_insert_fast(&ln->departed, &d->node,
					   departed_params)) {
			l4lb_service_put(be->svc);
			kfree(d);
			return;
		}
		atomic_inc(&l4lb_objects);
	} else if (rcu_access_pointer(d->svc) != be->svc) {
		/* Counted where it was last: readers keep the old one (RCU). */
		refcount_inc(&be->svc->ref);
		old = rcu_replace_pointer(d->svc, be->svc,
					  lockdep_is_held(&ln->lock));
		l4lb_service_put(old);
	}
	d->hold = max(d->hold, departed_hold(ln, be));
	WRITE_ONCE(d->until, l4lb_now() + d->hold);
	refcount_inc(&d->ref);
	be->departed = d;
}

/*
 * The removed backend that held @d is freed (an RCU callback): its last
 * flow went just now, and its late packets may come for @d->hold more.
 */
void l4lb_departed_release(struct l4lb_departed *d)
{
	WRITE_ONCE(d->until, l4lb_now() + d->hold);
	departed_put(d);
}

/*
 * Under RCU: the entry of a removed backend that may still send from
 * @key, or NULL. It stays valid until the RCU read side ends.
 */
struct l4lb_departed *l4lb_departed_lookup(struct l4lb_net *ln,
					   const struct l4lb_be_key *key)
{
	struct l4lb_departed *d;

	d = rhashtable_lookup(&ln->departed, key, departed_params);
	if (!d || (refcount_read(&d->ref) == 1 &&
		   (s32)(l4lb_now() - READ_ONCE(d->until)) >= 0))
		return NULL;
	return d;
}

/*
 * Forgets the entries no backend holds whose time is over. From the
 * sweep, once a pass; a configuration change holding the lock makes it
 * wait for the next pass. The table is small (removed backends), walked
 * whole without yielding, so an entry taken out is never the walker's
 * place to come back to.
 */
void l4lb_departed_reap(struct l4lb_net *ln)
{
	struct rhashtable_iter iter;
	struct l4lb_departed *d;
	u32 now = l4lb_now();

	if (!atomic_read(&ln->departed.nelems) || !mutex_trylock(&ln->lock))
		return;
	rhashtable_walk_enter(&ln->departed, &iter);
	rhashtable_walk_start(&iter);
	while ((d = rhashtable_walk_next(&iter))) {
		if (IS_ERR(d))
			continue;
		if (refcount_read(&d->ref) != 1)
			continue;
		/* Pairs with the put's release: @until is the last putter's. */
		smp_rmb();
		if ((s32)(now - READ_ONCE(d->until)) < 0)
			continue;
		rhashtable_remove_fast(&ln->departed, &d->node,
				       departed_params);
		departed_put(d);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	mutex_unlock(&ln->lock);
}
