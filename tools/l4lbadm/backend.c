// SPDX-License-Identifier: GPL-2.0
/* Verbs on backends: add, set (weight; 0 drains), del; and reading them. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/l4lb.h>

#include "l4lbadm.h"

struct be_list {
	struct be_info *v;
	size_t n, cap;
};

/* A backend from a message of the family; false if it names none. */
bool parse_be_msg(const struct nlmsghdr *nlh, struct be_info *info)
{
	const struct nlattr *tb[L4LB_A_MAX + 1];

	memset(info, 0, sizeof(*info));
	parse_attrs(nlh, tb);
	if (!tb[L4LB_A_SVC_PROTO] || !tb[L4LB_A_SVC_ADDR4] ||
	    !tb[L4LB_A_SVC_PORT] || !tb[L4LB_A_BE_ADDR4] || !tb[L4LB_A_BE_PORT])
		return false;
	info->svc.proto = mnl_attr_get_u8(tb[L4LB_A_SVC_PROTO]);
	memcpy(&info->svc.addr, mnl_attr_get_payload(tb[L4LB_A_SVC_ADDR4]), 4);
	info->svc.port = mnl_attr_get_u16(tb[L4LB_A_SVC_PORT]);
	memcpy(&info->addr, mnl_attr_get_payload(tb[L4LB_A_BE_ADDR4]), 4);
	info->port = mnl_attr_get_u16(tb[L4LB_A_BE_PORT]);
	if (tb[L4LB_A_BE_WEIGHT])
		info->weight = mnl_attr_get_u16(tb[L4LB_A_BE_WEIGHT]);
	if (tb[L4LB_A_BE_ACTIVE])
		info->active = mnl_attr_get_u32(tb[L4LB_A_BE_ACTIVE]);
	parse_stats(tb[L4LB_A_BE_STATS], &info->stats);
	return true;
}

static int be_cb(const struct nlmsghdr *nlh, void *data)
{
	struct be_list *list = data;
	struct be_info info;

	if (!parse_be_msg(nlh, &info))
		return MNL_CB_OK;
	if (list->n == list->cap) {
		list->cap = list->cap ? 2 * list->cap : 16;
		list->v = realloc(list->v, list->cap * sizeof(*list->v));
		if (!list->v)
			fail("out of memory");
	}
	list->v[list->n++] = info;
	return MNL_CB_OK;
}

/* "backend add tcp VIP:PORT ADDRESS:PORT weight N" (@verb add or set). */
void print_backend_line(const char *verb, const struct be_info *be)
{
	printf("backend %s %s %s %s", verb, proto_name(be->svc.proto),
	       fmt_addr_port(be->svc.addr, be->svc.port),
	       fmt_addr_port(be->addr, be->port));
	if (strcmp(verb, "del"))
		printf(" weight %u", be->weight);
	putchar('\n');
}

static void be_list_reset(void *data)
{
	((struct be_list *)data)->n = 0;
}

/* The backends of @svc, in the order they were added; caller frees. */
size_t get_backends(struct nl *nl, const struct svc_id *svc,
		    struct be_info **out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct be_list list = { 0 };
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, buf, L4LB_CMD_BACKEND_GET, 0);
	put_svc_id(nlh, svc);
	if (nl_dump(nl, nlh, be_cb, &list, be_list_reset) < 0)
		fail_nl(nl, "backend show");
	*out = list.v;
	return list.n;
}

static uint16_t parse_weight(const char *s)
{
	unsigned long v;
	char *end;

	v = strtoul(s, &end, 10);
	if (*end || end == s || v > L4LB_WEIGHT_MAX)
		fail("weight '%s' is not a number from 0 to %u", s,
		     L4LB_WEIGHT_MAX);
	return v;
}

/* PROTO VIP:PORT BACKEND:PORT [weight N]; @verb names the command. */
static int backend_change(struct nl *nl, int argc, char **argv, uint8_t cmd,
			  const char *verb, bool takes_weight)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct in_addr addr;
	struct svc_id svc;
	uint16_t port;
	int i;

	parse_svc_id(argc, argv, &svc);
	if (argc < 3)
		fail("%s: name the backend as ADDRESS:PORT after the service",
		     verb);
	if (!parse_addr_port(argv[2], &addr, &port))
		fail("'%s' is not ADDRESS:PORT, like 10.0.0.5:5432", argv[2]);
	nlh = nl_msg(nl, buf, cmd, 0);
	put_svc_id(nlh, &svc);
	mnl_attr_put(nlh, L4LB_A_BE_ADDR4, sizeof(addr), &addr);
	mnl_attr_put_u16(nlh, L4LB_A_BE_PORT, port);
	for (i = 3; i < argc; i += 2) {
		if (!takes_weight || strcmp(argv[i], "weight"))
			fail("%s: unexpected '%s'", verb, argv[i]);
		if (i + 1 >= argc)
			fail("'weight' needs a value");
		mnl_attr_put_u16(nlh, L4LB_A_BE_WEIGHT, parse_weight(argv[i + 1]));
	}
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, verb);
	return 0;
}

int cmd_backend(struct nl *nl, int argc, char **argv)
{
	if (!argc)
		fail("backend needs a verb: add, set or del");
	if (!strcmp(argv[0], "add"))
		return backend_change(nl, argc - 1, argv + 1,
				      L4LB_CMD_BACKEND_NEW, "backend add", true);
	if (!strcmp(argv[0], "set"))
		return backend_change(nl, argc - 1, argv + 1,
				      L4LB_CMD_BACKEND_SET, "backend set", true);
	if (!strcmp(argv[0], "del"))
		return backend_change(nl, argc - 1, argv + 1,
				      L4LB_CMD_BACKEND_DEL, "backend del", false);
	fail("backend: unknown verb '%s': use add, set or del", argv[0]);
}
