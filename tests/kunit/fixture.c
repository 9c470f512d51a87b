// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the fixture of the flow table suites (fixture.h): one service,
 * one backend, a sweep under the test's control.
 */

#include <linux/delay.h>
#include <linux/in.h>
#include <linux/l4lb.h>
#include <net/net_namespace.h>

#include "../../kmod/expiry.h"
#include "fixture.h"

int conn_fixture_init(struct kunit *test)
{
	struct conn_fixture *f;
	struct l4lb_svc_config cfg;
	union nf_inet_addr addr = {};
	int ret;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->ln = l4lb_net(&init_net);
	l4lb_svc_key_init4(&f->key, IPPROTO_TCP, htonl(0x0a090909), htons(80));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	addr.ip = htonl(0x0a09090a);

	mutex_lock(&f->ln->lock);
	ret = l4lb_service_add(f->ln, &f->key, &cfg);
	if (!ret) {
		rcu_read_lock();
		f->svc = l4lb_service_lookup(f->ln, &f->key);
		rcu_read_unlock();
		ret = l4lb_backend_add(f->ln, f->svc, &addr, htons(80), 1);
	}
	if (!ret)
		f->be = list_first_entry(&f->svc->backends,
					 struct l4lb_backend, list);
	mutex_unlock(&f->ln->lock);
	/* The test drives the sweep itself. */
	l4lb_expiry_stop(f->ln);
	/* No shrink of what an earlier test grew in the middle of this one. */
	conn_fixture_settle(test, f->ln);
	f->saved_max = f->ln->max_conns;
	l4lb_clock_offset = 0;
	test->priv = f;
	return ret;
}

/* Runs the sweep until a whole pass ends; returns the entries it freed. */
unsigned int conn_fixture_sweep(struct l4lb_net *ln)
{
	unsigned int gone = 0;
	bool done = false;

	while (!done)
		gone += l4lb_expiry_step(ln, 2, &done);
	return gone;
}

/*
 * Waits (up to 10 s) for rhashtable's worker to finish resizing a table an
 * earlier test grew or emptied, so a test meets a table as dense as a
 * full one is and no rehash half done (the worker runs only when this
 * uniprocessor kernel's test thread sleeps).
 */
void conn_fixture_settle(struct kunit *test, struct l4lb_net *ln)
{
	unsigned int i;

	for (i = 0; i < 500; i++) {
		msleep(20);
		if (l4lb_conn_buckets(ln) <= 64 ||
		    l4lb_conn_buckets(ln) < 4 * atomic_read(&ln->nr_conns))
			return;
	}
	KUNIT_FAIL(test, "the flow table never shrank: %u buckets, %d flows",
		   l4lb_conn_buckets(ln), atomic_read(&ln->nr_conns));
}

static int unlink_one(struct l4lb_conn *conn, void *arg)
{
	l4lb_conn_unlink(arg, conn);
	return 0;
}

/* Unlinks every flow of @ln, as l4lbadm flush does. */
void conn_fixture_flush(struct l4lb_net *ln)
{
	l4lb_conn_walk(ln, unlink_one, ln);
}

void conn_fixture_exit(struct kunit *test)
{
	struct conn_fixture *f = test->priv;

	mutex_lock(&f->ln->lock);
	l4lb_service_remove(f->ln, &f->key);
	mutex_unlock(&f->ln->lock);
	/* Its flows are orphans now: one pass takes them all. */
	conn_fixture_sweep(f->ln);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	f->ln->max_conns = f->saved_max;
	l4lb_clock_offset = 0;
}

/* A half-open TCP flow from @caddr:@cport (host order) to the service. */
struct l4lb_conn *conn_fixture_create(struct conn_fixture *f, u32 caddr,
				      u16 cport)
{
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;
	bool created;
	int why;

	l4lb_orig_key_svc4(&k, f->svc, htonl(caddr), htons(cport));
	/* The packet path's context: the backend is pinned by the service. */
	rcu_read_lock();
	local_bh_disable();
	conn = l4lb_conn_create(f->ln, &k, f->be, L4LB_CONN_SYN_SEEN,
				&created, &why);
	local_bh_enable();
	rcu_read_unlock();
	return conn;
}

/* The flow of @caddr:@cport, or NULL; the caller only compares it. */
struct l4lb_conn *conn_fixture_find(struct conn_fixture *f, u32 caddr,
				    u16 cport)
{
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;

	l4lb_orig_key_svc4(&k, f->svc, htonl(caddr), htons(cport));
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	return conn;
}

/* A handshake completed: SYN-ACK then ACK, as the packet path moves it. */
void conn_fixture_establish(struct conn_fixture *f, struct l4lb_conn *conn)
{
	l4lb_conn_advance(f->ln, conn, L4LB_CONN_SYN_SEEN, L4LB_CONN_SYN_RECV);
	l4lb_conn_advance(f->ln, conn, L4LB_CONN_SYN_RECV,
			  L4LB_CONN_ESTABLISHED);
}
