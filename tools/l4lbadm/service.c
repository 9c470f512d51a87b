// SPDX-License-Identifier: GPL-2.0
/* Verbs on services: add, del, show, and the list of everything. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/l4lb.h>

#include "l4lbadm.h"

struct svc_list {
	struct svc_info *v;
	size_t n, cap;
};

void put_svc_id(struct nlmsghdr *nlh, const struct svc_id *id)
{
	mnl_attr_put_u8(nlh, L4LB_A_SVC_PROTO, id->proto);
	mnl_attr_put(nlh, L4LB_A_SVC_ADDR4, sizeof(id->addr), &id->addr);
	mnl_attr_put_u16(nlh, L4LB_A_SVC_PORT, id->port);
}

/* "tcp 10.0.0.1:5432" from argv[0..1]; dies with a clear line otherwise. */
static void parse_svc_id(int argc, char **argv, struct svc_id *id)
{
	if (argc < 2)
		fail("a service is named by PROTO VIP:PORT, like tcp 10.0.0.1:5432");
	if (!parse_proto(argv[0], &id->proto))
		fail("'%s' is not a protocol: use tcp or udp", argv[0]);
	if (!parse_addr_port(argv[1], &id->addr, &id->port))
		fail("'%s' is not VIP:PORT, like 10.0.0.1:5432", argv[1]);
}

static int svc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct svc_list *list = data;
	struct svc_info info = { 0 };
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case L4LB_A_SVC_PROTO:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
				info.id.proto = mnl_attr_get_u8(attr);
			break;
		case L4LB_A_SVC_ADDR4:
			if (mnl_attr_get_payload_len(attr) == 4)
				memcpy(&info.id.addr, mnl_attr_get_payload(attr), 4);
			break;
		case L4LB_A_SVC_PORT:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
				info.id.port = mnl_attr_get_u16(attr);
			break;
		case L4LB_A_SVC_SCHED:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
				info.sched = mnl_attr_get_u8(attr);
			break;
		}
	}
	if (list->n == list->cap) {
		list->cap = list->cap ? 2 * list->cap : 16;
		list->v = realloc(list->v, list->cap * sizeof(*list->v));
		if (!list->v)
			fail("out of memory");
	}
	list->v[list->n++] = info;
	return MNL_CB_OK;
}

static void svc_list_reset(void *data)
{
	((struct svc_list *)data)->n = 0;
}

static void print_services(const struct svc_list *list)
{
	char addr[INET_ADDRSTRLEN], vip[INET_ADDRSTRLEN + 8];
	const struct svc_info *s;
	size_t i;

	if (json) {
		putchar('[');
		for (i = 0; i < list->n; i++) {
			s = &list->v[i];
			inet_ntop(AF_INET, &s->id.addr, addr, sizeof(addr));
			printf("%s{\"proto\":\"%s\",\"address\":\"%s\",\"port\":%u,\"sched\":\"%s\"}",
			       i ? "," : "", proto_name(s->id.proto), addr,
			       s->id.port, sched_name(s->sched));
		}
		puts("]");
		return;
	}
	printf("%-5s %-21s %s\n", "Proto", "Service", "Sched");
	for (i = 0; i < list->n; i++) {
		s = &list->v[i];
		inet_ntop(AF_INET, &s->id.addr, addr, sizeof(addr));
		snprintf(vip, sizeof(vip), "%s:%u", addr, s->id.port);
		printf("%-5s %-21s %s\n", proto_name(s->id.proto), vip,
		       sched_name(s->sched));
	}
}

static int service_add(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct svc_id id;
	uint8_t sched;
	int i;

	parse_svc_id(argc, argv, &id);
	nlh = nl_msg(nl, buf, L4LB_CMD_SERVICE_NEW, 0);
	put_svc_id(nlh, &id);
	for (i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			fail("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "sched")) {
			if (!parse_sched(argv[i + 1], &sched))
				fail("'%s' is not a scheduler: use rr, wrr, lc, wlc, sh or mh",
				     argv[i + 1]);
			mnl_attr_put_u8(nlh, L4LB_A_SVC_SCHED, sched);
		} else {
			fail("service add: unknown option '%s'", argv[i]);
		}
	}
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "service add");
	return 0;
}

static int service_del(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct svc_id id;

	parse_svc_id(argc, argv, &id);
	if (argc > 2)
		fail("service del: unexpected '%s'", argv[2]);
	nlh = nl_msg(nl, buf, L4LB_CMD_SERVICE_DEL, 0);
	put_svc_id(nlh, &id);
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "service del");
	return 0;
}

static int service_show(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct svc_list list = { 0 };
	struct nlmsghdr *nlh;
	struct svc_id id;

	nlh = nl_msg(nl, buf, L4LB_CMD_SERVICE_GET, 0);
	if (!argc) {
		if (nl_dump(nl, nlh, svc_cb, &list, svc_list_reset) < 0)
			fail_nl(nl, "service show");
	} else {
		parse_svc_id(argc, argv, &id);
		if (argc > 2)
			fail("service show: unexpected '%s'", argv[2]);
		put_svc_id(nlh, &id);
		if (nl_talk(nl, nlh, svc_cb, &list) < 0)
			fail_nl(nl, "service show");
	}
	print_services(&list);
	free(list.v);
	return 0;
}

int cmd_service(struct nl *nl, int argc, char **argv)
{
	if (!argc)
		fail("service needs a verb: add, del or show");
	if (!strcmp(argv[0], "add"))
		return service_add(nl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "del"))
		return service_del(nl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "show"))
		return service_show(nl, argc - 1, argv + 1);
	fail("service: unknown verb '%s': use add, del or show", argv[0]);
}

int cmd_list(struct nl *nl, int argc, char **argv)
{
	if (argc)
		fail("list takes no arguments");
	return service_show(nl, 0, argv);
}
