// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: service keys and the service table of a real namespace.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/l4lb.h>
#include <net/net_namespace.h>

#include "../../kmod/netns.h"
#include "../../kmod/service.h"

/* Keys are hashed and compared as bytes: padding and unused bytes are 0. */
static void svc_key_v4_is_canonical(struct kunit *test)
{
	struct l4lb_svc_key a, b;

	memset(&a, 0xaa, sizeof(a));
	memset(&b, 0x55, sizeof(b));
	l4lb_svc_key_init4(&a, IPPROTO_TCP, htonl(0x0a000001), htons(5432));
	l4lb_svc_key_init4(&b, IPPROTO_TCP, htonl(0x0a000001), htons(5432));
	KUNIT_EXPECT_EQ(test, memcmp(&a, &b, sizeof(a)), 0);
	KUNIT_EXPECT_EQ(test, a.addr.ip, htonl(0x0a000001));
	KUNIT_EXPECT_EQ(test, a.addr.all[1] | a.addr.all[2] | a.addr.all[3], 0);
	KUNIT_EXPECT_EQ(test, a.family, AF_INET);
}

/* Same address and port, other protocol: a different service. */
static void svc_key_proto_differs(struct kunit *test)
{
	struct l4lb_svc_key tcp, udp;

	l4lb_svc_key_init4(&tcp, IPPROTO_TCP, htonl(0x0a000001), htons(53));
	l4lb_svc_key_init4(&udp, IPPROTO_UDP, htonl(0x0a000001), htons(53));
	KUNIT_EXPECT_NE(test, memcmp(&tcp, &udp, sizeof(tcp)), 0);
}

/* The seeds' defaults: TCP round robin, UDP by client address, 60 s. */
static void svc_defaults(struct kunit *test)
{
	struct l4lb_svc_config cfg;

	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	KUNIT_EXPECT_EQ(test, cfg.sched, (u8)L4LB_SCHED_RR);
	KUNIT_EXPECT_EQ(test, cfg.flags, 0);
	l4lb_service_default_config(IPPROTO_UDP, &cfg);
	KUNIT_EXPECT_EQ(test, cfg.sched, (u8)L4LB_SCHED_SH);
	KUNIT_EXPECT_EQ(test, cfg.udp_timeout, 60U);
}

/*
 * Add, find, refuse a duplicate, remove, refuse a second removal; the hooks
 * are registered exactly while the namespace has a service.
 */
static void svc_table_lifecycle(struct kunit *test)
{
	struct l4lb_net *ln = l4lb_net(&init_net);
	struct l4lb_svc_config lc, sh;
	struct l4lb_svc_key pg, game;
	struct l4lb_service *svc;

	l4lb_svc_key_init4(&pg, IPPROTO_TCP, htonl(0x0a000001), htons(5432));
	l4lb_svc_key_init4(&game, IPPROTO_UDP, htonl(0x0a000001), htons(7777));
	l4lb_service_default_config(IPPROTO_TCP, &lc);
	lc.sched = L4LB_SCHED_LC;
	l4lb_service_default_config(IPPROTO_UDP, &sh);

	mutex_lock(&ln->lock);
	KUNIT_ASSERT_EQ(test, ln->n_services, 0U);
	KUNIT_EXPECT_FALSE(test, ln->hooks_on);

	KUNIT_EXPECT_EQ(test, l4lb_service_add(ln, &pg, &lc), 0);
	KUNIT_EXPECT_TRUE(test, ln->hooks_on);
	KUNIT_EXPECT_EQ(test, l4lb_service_add(ln, &game, &sh), 0);
	KUNIT_EXPECT_EQ(test, l4lb_service_add(ln, &pg, &sh), -EEXIST);
	KUNIT_EXPECT_EQ(test, ln->n_services, 2U);

	rcu_read_lock();
	svc = l4lb_service_lookup(ln, &pg);
	KUNIT_EXPECT_NOT_NULL(test, svc);
	if (svc)
		KUNIT_EXPECT_EQ(test, svc->sched, (u8)L4LB_SCHED_LC);
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, l4lb_service_remove(ln, &pg), 0);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(ln, &pg), -ENOENT);
	KUNIT_EXPECT_TRUE(test, ln->hooks_on);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, l4lb_service_lookup(ln, &pg));
	KUNIT_EXPECT_NOT_NULL(test, l4lb_service_lookup(ln, &game));
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, l4lb_service_remove(ln, &game), 0);
	KUNIT_EXPECT_FALSE(test, ln->hooks_on);
	KUNIT_EXPECT_EQ(test, ln->n_services, 0U);
	mutex_unlock(&ln->lock);
}

static struct kunit_case l4lb_service_cases[] = {
	KUNIT_CASE(svc_key_v4_is_canonical),
	KUNIT_CASE(svc_key_proto_differs),
	KUNIT_CASE(svc_defaults),
	KUNIT_CASE(svc_table_lifecycle),
	{}
};

static struct kunit_suite l4lb_service_suite = {
	.name = "l4lb-service",
	.test_cases = l4lb_service_cases,
};

kunit_test_suite(l4lb_service_suite);
