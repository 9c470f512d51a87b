/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_KUNIT_FIXTURE_H
#define _L4LB_KUNIT_FIXTURE_H

#include <kunit/test.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/netns.h"
#include "../../kmod/service.h"

/*
 * A TCP service 10.9.9.9:80 with one backend 10.9.9.10:80 in init_net,
 * the sweep stopped (the test drives it), the clock at its start. The
 * flow table suites (conn_test.c, bench_test.c) share it.
 */
struct conn_fixture {
	struct l4lb_net *ln;
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	struct l4lb_svc_key key;
	u32 saved_max;
};

int conn_fixture_init(struct kunit *test);
void conn_fixture_exit(struct kunit *test);
unsigned int conn_fixture_sweep(struct l4lb_net *ln);
void conn_fixture_settle(struct kunit *test, struct l4lb_net *ln);
void conn_fixture_flush(struct l4lb_net *ln);
struct l4lb_conn *conn_fixture_create(struct conn_fixture *f, u32 caddr,
				      u16 cport);
struct l4lb_conn *conn_fixture_find(struct conn_fixture *f, u32 caddr,
				    u16 cport);
void conn_fixture_establish(struct conn_fixture *f, struct l4lb_conn *conn);

#endif /* _L4LB_KUNIT_FIXTURE_H */
