// SPDX-License-Identifier: GPL-2.0
/* The connection and session tables: flows (list) and flush. */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/l4lb.h>

#include "l4lbadm.h"

struct flow_info {
	struct svc_id svc;
	struct addr be_addr, caddr;
	uint16_t be_port, cport;
	uint8_t state;
	uint32_t expires_ms;
};

struct flow_list {
	struct flow_info *v;
	size_t n, cap;
};

static const char *const state_names[] = {
	[L4LB_FLOW_SYN_SEEN] = "syn-seen",
	[L4LB_FLOW_ESTABLISHED] = "established",
	[L4LB_FLOW_CLOSING] = "closing",
	[L4LB_FLOW_UDP] = "session",
	[L4LB_FLOW_SYN_RECV] = "syn-recv",
	[L4LB_FLOW_UDP_UNREPLIED] = "unreplied",
	[L4LB_FLOW_ADOPTED] = "adopted",
	[L4LB_FLOW_ADOPTED_REPLY] = "adopted-reply",
	[L4LB_FLOW_FIN_WAIT] = "fin-wait",
	[L4LB_FLOW_CLOSE_WAIT] = "close-wait",
	[L4LB_FLOW_UDP_REPLIED] = "replied",
	[L4LB_FLOW_PERSIST] = "persist",
};

static const char *state_name(uint8_t state)
{
	if (state < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[state];
	return "?";
}

static int flow_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[L4LB_A_MAX + 1];
	struct flow_list *list = data;
	struct flow_info f = { 0 };

	parse_attrs(nlh, tb);
	if (!tb[L4LB_A_SVC_PROTO] || !tb[L4LB_A_SVC_PORT] ||
	    !tb[L4LB_A_BE_PORT] ||
	    !get_addr(tb, L4LB_A_SVC_ADDR4, L4LB_A_SVC_ADDR6, &f.svc.addr) ||
	    !get_addr(tb, L4LB_A_BE_ADDR4, L4LB_A_BE_ADDR6, &f.be_addr) ||
	    !get_addr(tb, L4LB_A_FLOW_CADDR4, L4LB_A_FLOW_CADDR6, &f.caddr))
		return MNL_CB_OK;
	f.svc.proto = mnl_attr_get_u8(tb[L4LB_A_SVC_PROTO]);
	f.svc.port = mnl_attr_get_u16(tb[L4LB_A_SVC_PORT]);
	if (tb[L4LB_A_SVC_PORT_LAST])
		f.svc.last = mnl_attr_get_u16(tb[L4LB_A_SVC_PORT_LAST]);
	f.be_port = mnl_attr_get_u16(tb[L4LB_A_BE_PORT]);
	if (tb[L4LB_A_FLOW_CPORT])
		f.cport = mnl_attr_get_u16(tb[L4LB_A_FLOW_CPORT]);
	if (tb[L4LB_A_FLOW_STATE])
		f.state = mnl_attr_get_u8(tb[L4LB_A_FLOW_STATE]);
	if (tb[L4LB_A_FLOW_EXPIRES])
		f.expires_ms = mnl_attr_get_u32(tb[L4LB_A_FLOW_EXPIRES]);

	list->v = grow(list->v, &list->cap, list->n, sizeof(*list->v));
	list->v[list->n++] = f;
	return MNL_CB_OK;
}

static void flow_list_reset(void *data)
{
	((struct flow_list *)data)->n = 0;
}

/* [PROTO VIP:PORT [BACKEND:PORT]]: the filter of flows and flush. */
static void put_filter(struct nlmsghdr *nlh, int argc, char **argv,
		       const char *verb)
{
	struct svc_id svc;
	struct addr addr;
	uint16_t port;

	if (!argc)
		return;
	parse_svc_id(argc, argv, &svc);
	put_svc_id(nlh, &svc);
	if (argc < 3)
		return;
	if (argc > 3)
		fail("%s: unexpected '%s'", verb, argv[3]);
	if (!parse_be_addr(argv[2], &addr, &port))
		fail("'%s' is not ADDRESS:PORT or an address alone, like 10.0.0.5:5432 or [2001:db8::5]:5432",
		     argv[2]);
	put_addr(nlh, L4LB_A_BE_ADDR4, L4LB_A_BE_ADDR6, &addr);
	mnl_attr_put_u16(nlh, L4LB_A_BE_PORT, port);
}

static void print_flows(const struct flow_list *list)
{
	const struct flow_info *f;
	const char *client;
	size_t i;

	if (!json)
		printf("%-5s %-21s %-21s %-21s %-11s %s\n", "Proto", "Client",
		       "Service", "Backend", "State", "Expires");
	else
		putchar('[');
	for (i = 0; i < list->n; i++) {
		f = &list->v[i];
		if (json) {
			printf("%s{\"proto\":\"%s\",\"client\":\"%s\",", i ? "," : "",
			       proto_name(f->svc.proto), fmt_addr(&f->caddr));
			/* A template covers every port of its clients. */
			if (f->svc.proto == IPPROTO_TCP &&
			    f->state != L4LB_FLOW_PERSIST)
				printf("\"client_port\":%u,", f->cport);
			printf("\"service\":\"%s\",",
			       fmt_svc_addr(&f->svc));
			printf("\"backend\":\"%s\",\"state\":\"%s\",\"expires_ms\":%u}",
			       fmt_addr_port(&f->be_addr, f->be_port),
			       state_name(f->state), f->expires_ms);
			continue;
		}
		/* A UDP session covers every port of its client. */
		client = f->svc.proto == IPPROTO_TCP &&
			 f->state != L4LB_FLOW_PERSIST ?
			 fmt_addr_port(&f->caddr, f->cport) :
			 fmt_addr(&f->caddr);
		printf("%-5s %-21s %-21s ", proto_name(f->svc.proto), client,
		       fmt_svc_addr(&f->svc));
		printf("%-21s %-11s %us\n", fmt_addr_port(&f->be_addr, f->be_port),
		       state_name(f->state), (f->expires_ms + 999) / 1000);
	}
	if (json)
		puts("]");
}

int cmd_flows(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct flow_list list = { 0 };
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, buf, L4LB_CMD_FLOW_GET, 0);
	put_filter(nlh, argc, argv, "flows");
	if (nl_dump(nl, nlh, flow_cb, &list, flow_list_reset) < 0)
		fail_nl(nl, "flows");
	print_flows(&list);
	free(list.v);
	return 0;
}

int cmd_flush(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, buf, L4LB_CMD_FLOW_FLUSH, 0);
	put_filter(nlh, argc, argv, "flush");
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "flush");
	return 0;
}
