// SPDX-License-Identifier: GPL-2.0
/* Verbs on backends: add, set (weight; 0 drains), del; and reading them. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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
	if (!tb[L4LB_A_SVC_PROTO] || !tb[L4LB_A_SVC_PORT] ||
	    !tb[L4LB_A_BE_PORT] ||
	    !get_addr(tb, L4LB_A_SVC_ADDR4, L4LB_A_SVC_ADDR6, &info->svc.addr) ||
	    !get_addr(tb, L4LB_A_BE_ADDR4, L4LB_A_BE_ADDR6, &info->addr))
		return false;
	info->svc.proto = mnl_attr_get_u8(tb[L4LB_A_SVC_PROTO]);
	info->svc.port = mnl_attr_get_u16(tb[L4LB_A_SVC_PORT]);
	if (tb[L4LB_A_SVC_PORT_LAST])
		info->svc.last = mnl_attr_get_u16(tb[L4LB_A_SVC_PORT_LAST]);
	info->port = mnl_attr_get_u16(tb[L4LB_A_BE_PORT]);
	if (tb[L4LB_A_BE_WEIGHT])
		info->weight = mnl_attr_get_u16(tb[L4LB_A_BE_WEIGHT]);
	if (tb[L4LB_A_BE_ACTIVE])
		info->active = mnl_attr_get_u32(tb[L4LB_A_BE_ACTIVE]);
	if (tb[L4LB_A_BE_HEALTH])
		info->health = mnl_attr_get_u8(tb[L4LB_A_BE_HEALTH]);
	if (tb[L4LB_A_BE_HEALTH_SINCE])
		info->health_since = mnl_attr_get_u32(tb[L4LB_A_BE_HEALTH_SINCE]);
	if (tb[L4LB_A_BE_CHECK])
		snprintf(info->check, sizeof(info->check), "%s",
			 mnl_attr_get_str(tb[L4LB_A_BE_CHECK]));
	info->fallback = tb[L4LB_A_BE_FALLBACK];
	if (tb[L4LB_A_BE_MAX_CONNS])
		info->max_conns = mnl_attr_get_u32(tb[L4LB_A_BE_MAX_CONNS]);
	if (tb[L4LB_A_BE_MIN_CONNS])
		info->min_conns = mnl_attr_get_u32(tb[L4LB_A_BE_MIN_CONNS]);
	info->full = tb[L4LB_A_BE_FULL];
	parse_stats(tb[L4LB_A_BE_STATS], &info->stats);
	return true;
}

static int be_cb(const struct nlmsghdr *nlh, void *data)
{
	struct be_list *list = data;
	struct be_info info;

	if (!parse_be_msg(nlh, &info))
		return MNL_CB_OK;
	list->v = grow(list->v, &list->cap, list->n, sizeof(*list->v));
	list->v[list->n++] = info;
	return MNL_CB_OK;
}

/*
 * " max-conns N min-conns M": a backend's connection limits, the lower
 * one as the kernel holds it (its default made explicit), or nothing.
 */
void print_be_limits(const struct be_info *be)
{
	if (be->max_conns)
		printf(" max-conns %u min-conns %u", be->max_conns,
		       be->min_conns);
}

/*
 * "backend add tcp VIP:PORT ADDRESS:PORT weight N [max-conns N min-conns
 * M]" (@verb add or set); a fallback server is added by "service set tcp
 * VIP:PORT fallback ADDR:PORT", and has neither weight nor limits.
 */
void print_backend_line(const char *verb, const struct be_info *be)
{
	if (be->fallback && !strcmp(verb, "add")) {
		printf("service set %s %s fallback %s\n",
		       proto_name(be->svc.proto),
		       fmt_svc_addr(&be->svc),
		       fmt_addr_port(&be->addr, be->port));
		return;
	}
	printf("backend %s %s %s %s", verb, proto_name(be->svc.proto),
	       fmt_svc_addr(&be->svc),
	       fmt_addr_port(&be->addr, be->port));
	if (strcmp(verb, "del") && !be->fallback) {
		printf(" weight %u", be->weight);
		print_be_limits(be);
	}
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

/* What a verb's options may be, after PROTO VIP:PORT BACKEND:PORT. */
#define OPT_WEIGHT	1
#define OPT_HEALTH	2

/* max-conns and min-conns: 0 (none) to L4LB_CONNS_LIMIT_MAX. */
static uint32_t parse_conns_limit(const char *name, const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || end == s || *s == '-' || errno || v > L4LB_CONNS_LIMIT_MAX)
		fail("%s '%s' is not a number from 0 to %u", name, s,
		     L4LB_CONNS_LIMIT_MAX);
	return v;
}

static uint8_t parse_health(const char *s)
{
	if (!strcmp(s, "up"))
		return L4LB_HEALTH_UP;
	if (!strcmp(s, "down"))
		return L4LB_HEALTH_DOWN;
	fail("health '%s' is not up or down", s);
}

/* The request naming the backend of argv[0..2]; dies on bad words. */
static struct nlmsghdr *backend_msg(struct nl *nl, void *buf, int argc,
				    char **argv, uint8_t cmd, const char *verb,
				    struct be_info *be)
{
	struct nlmsghdr *nlh;

	memset(be, 0, sizeof(*be));
	parse_svc_id(argc, argv, &be->svc);
	if (argc < 3)
		fail("%s: name the backend as ADDRESS:PORT after the service",
		     verb);
	if (!parse_be_addr(argv[2], &be->addr, &be->port))
		fail("'%s' is not ADDRESS:PORT or an address alone, like 10.0.0.5:5432, [2001:db8::5]:5432 or 10.0.0.5",
		     argv[2]);
	if (be->port && be->svc.last)
		fail("%s: service %s is a port range: its backends have no port (give %s alone), each flow keeps the port its client sent to",
		     verb, argv[1], fmt_addr(&be->addr));
	if (be->addr.family != be->svc.addr.family)
		fail("%s: backend %s is %s, service %s is %s: a service and its backends share a family",
		     verb, argv[2], family_name(be->addr.family), argv[1],
		     family_name(be->svc.addr.family));
	nlh = nl_msg(nl, buf, cmd, 0);
	put_be_id(nlh, be);
	return nlh;
}

void put_be_id(struct nlmsghdr *nlh, const struct be_info *be)
{
	put_svc_id(nlh, &be->svc);
	put_addr(nlh, L4LB_A_BE_ADDR4, L4LB_A_BE_ADDR6, &be->addr);
	mnl_attr_put_u16(nlh, L4LB_A_BE_PORT, be->port);
}

/* PROTO VIP:PORT BACKEND:PORT [OPTIONS]; @verb names the command. */
static int backend_change(struct nl *nl, int argc, char **argv, uint8_t cmd,
			  const char *verb, unsigned int opts)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct be_info be;
	int i;

	nlh = backend_msg(nl, buf, argc, argv, cmd, verb, &be);
	for (i = 3; i < argc; i += 2) {
		bool weight = (opts & OPT_WEIGHT) && !strcmp(argv[i], "weight");
		bool health = (opts & OPT_HEALTH) && !strcmp(argv[i], "health");
		bool check = (opts & OPT_HEALTH) && !strcmp(argv[i], "check");
		bool max = (opts & OPT_WEIGHT) && !strcmp(argv[i], "max-conns");
		bool min = (opts & OPT_WEIGHT) && !strcmp(argv[i], "min-conns");

		if (!weight && !health && !check && !max && !min)
			fail("%s: unexpected '%s'", verb, argv[i]);
		if (i + 1 >= argc)
			fail("'%s' needs a value", argv[i]);
		if (max || min) {
			/* The kernel checks them against each other. */
			mnl_attr_put_u32(nlh, max ? L4LB_A_BE_MAX_CONNS :
						    L4LB_A_BE_MIN_CONNS,
					 parse_conns_limit(argv[i],
							   argv[i + 1]));
		} else if (weight) {
			mnl_attr_put_u16(nlh, L4LB_A_BE_WEIGHT,
					 parse_weight(argv[i + 1]));
		} else if (health) {
			mnl_attr_put_u8(nlh, L4LB_A_BE_HEALTH,
					parse_health(argv[i + 1]));
		} else {
			if (strlen(argv[i + 1]) >= L4LB_CHECK_LEN_MAX)
				fail("check: the text is longer than %u characters",
				     L4LB_CHECK_LEN_MAX - 1);
			mnl_attr_put_strz(nlh, L4LB_A_BE_CHECK, argv[i + 1]);
		}
	}
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, verb);
	return 0;
}

/*
 * A health checker's verdict on @be, with the text of its last check.
 * Returns -1 with errno (and nl->ext_msg) on failure; never exits.
 */
int set_backend_health(struct nl *nl, const struct be_info *be,
		       uint8_t health, const char *check)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	char text[L4LB_CHECK_LEN_MAX];
	struct nlmsghdr *nlh;

	snprintf(text, sizeof(text), "%s", check);
	nlh = nl_msg(nl, buf, L4LB_CMD_BACKEND_SET, 0);
	put_be_id(nlh, be);
	mnl_attr_put_u8(nlh, L4LB_A_BE_HEALTH, health);
	mnl_attr_put_strz(nlh, L4LB_A_BE_CHECK, text);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* The backend's flows now, or -1 once it is gone. */
static long backend_flows(struct nl *nl, const struct be_info *be)
{
	struct be_info *all;
	size_t i, n;
	long flows = -1;

	n = get_backends(nl, &be->svc, &all);
	for (i = 0; i < n; i++)
		if (addr_eq(&all[i].addr, &be->addr) &&
		    all[i].port == be->port)
			flows = all[i].active;
	free(all);
	return flows;
}

/*
 * A server leaving its pool gracefully: drained (weight 0, no new flows),
 * then deleted once its flows ended, or after the timeout (its remaining
 * flows go on after the delete too; only new ones are refused). A UDP
 * backend's sessions are flushed once it is drained: each moves to another
 * backend at its next datagram, since a busy session never ends.
 */
static int backend_leave(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned long timeout = 60;
	struct nlmsghdr *nlh;
	struct timespec t0, t;
	struct be_info be;
	long flows;
	char *end;

	nlh = backend_msg(nl, buf, argc, argv, L4LB_CMD_BACKEND_SET,
			  "backend leave", &be);
	if (argc == 5 && !strcmp(argv[3], "timeout")) {
		timeout = strtoul(argv[4], &end, 10);
		if (*end || end == argv[4] || timeout > 86400)
			fail("timeout '%s' is not 0 to 86400 seconds", argv[4]);
	} else if (argc != 3) {
		fail("backend leave: unexpected '%s'", argv[3]);
	}
	mnl_attr_put_u16(nlh, L4LB_A_BE_WEIGHT, 0);
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "backend leave");
	if (be.svc.proto == IPPROTO_UDP) {
		nlh = nl_msg(nl, buf, L4LB_CMD_FLOW_FLUSH, 0);
		put_be_id(nlh, &be);
		if (nl_talk(nl, nlh, NULL, NULL) < 0)
			fail_nl(nl, "backend leave");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		flows = backend_flows(nl, &be);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (flows <= 0 || (unsigned long)(t.tv_sec - t0.tv_sec) >= timeout)
			break;
		usleep(200 * 1000);
	}
	if (flows > 0)
		fprintf(stderr, "%s: backend leave: %ld flows still open after %lus; they go on\n",
			prog, flows, timeout);
	nlh = nl_msg(nl, buf, L4LB_CMD_BACKEND_DEL, 0);
	put_be_id(nlh, &be);
	if (nl_talk(nl, nlh, NULL, NULL) < 0 && errno != ENOENT)
		fail_nl(nl, "backend leave");
	return 0;
}

/* What backend pick learnt of one client. */
struct pick {
	struct be_info be;
	bool found;
	bool from_flow;
};

static int pick_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[L4LB_A_MAX + 1];
	struct pick *pk = data;

	pk->found = parse_be_msg(nlh, &pk->be);
	parse_attrs(nlh, tb);
	pk->from_flow = tb[L4LB_A_PICK_FLOW];
	return MNL_CB_OK;
}

/*
 * "backend pick tcp VIP:PORT CLIENT[:PORT]...": the backend each client's
 * flow or persistence template has, or the one sh or mh gives it (what
 * every balancer of an ECMP group must print alike, but for what one
 * balancer's table holds), one line each: client, backend, flow or hash.
 */
static int backend_pick(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct addr caddr;
	struct svc_id id;
	uint16_t cport;
	struct pick pk;
	int i;

	parse_svc_id(argc, argv, &id);
	if (argc < 3)
		fail("backend pick needs a client: PROTO VIP:PORT CLIENT[:PORT]...");
	if (json)
		putchar('[');
	for (i = 2; i < argc; i++) {
		cport = 0;
		if (!parse_addr_port(argv[i], &caddr, &cport) &&
		    !parse_addr(argv[i], &caddr))
			fail("client '%s' is not ADDRESS or ADDRESS:PORT",
			     argv[i]);
		if (caddr.family != id.addr.family)
			fail("client '%s' is %s, the service %s",
			     argv[i], family_name(caddr.family),
			     family_name(id.addr.family));
		if (dry_run)
			continue;
		nlh = nl_msg(nl, buf, L4LB_CMD_BACKEND_PICK, 0);
		put_svc_id(nlh, &id);
		put_addr(nlh, L4LB_A_FLOW_CADDR4, L4LB_A_FLOW_CADDR6, &caddr);
		if (cport)
			mnl_attr_put_u16(nlh, L4LB_A_FLOW_CPORT, cport);
		memset(&pk, 0, sizeof(pk));
		if (nl_talk(nl, nlh, pick_cb, &pk) < 0)
			fail_nl(nl, "backend pick");
		if (!pk.found)
			fail("backend pick: the module named no backend");
		if (json) {
			printf("%s{\"client\":\"%s\",", i > 2 ? "," : "",
			       argv[i]);
			printf("\"backend\":\"%s\",\"by\":\"%s\"}",
			       fmt_addr_port(&pk.be.addr, pk.be.port),
			       pk.from_flow ? "flow" : "hash");
		} else {
			printf("%s %s %s\n", argv[i],
			       fmt_addr_port(&pk.be.addr, pk.be.port),
			       pk.from_flow ? "flow" : "hash");
		}
	}
	if (json)
		puts("]");
	return 0;
}

/*
 * "service set PROTO VIP:PORT fallback ADDRESS:PORT|none": the server that
 * takes new flows while no backend can. The kernel swaps the old one for
 * the new at once; none deletes it (its flows live on). Setting the one in
 * place, or none when there is none, changes nothing.
 */
int set_fallback(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct be_list list = { 0 };
	struct nlmsghdr *nlh;
	struct be_info be;
	char *be_argv[3];
	size_t i;

	if (argc != 4 || strcmp(argv[2], "fallback"))
		fail("service set: use service set PROTO VIP:PORT fallback ADDRESS:PORT|none");
	if (strcmp(argv[3], "none")) {
		be_argv[0] = argv[0];
		be_argv[1] = argv[1];
		be_argv[2] = argv[3];
		nlh = backend_msg(nl, buf, 3, be_argv, L4LB_CMD_BACKEND_NEW,
				  "service set", &be);
		mnl_attr_put(nlh, L4LB_A_BE_FALLBACK, 0, NULL);
		/* EEXIST naming the fallback: it is this one already. */
		if (nl_talk(nl, nlh, NULL, NULL) == 0 ||
		    (errno == EEXIST && strstr(nl->ext_msg, "fallback")))
			return 0;
		fail_nl(nl, "service set");
	}
	memset(&be, 0, sizeof(be));
	parse_svc_id(2, argv, &be.svc);
	if (dry_run)
		return 0;
	nlh = nl_msg(nl, buf, L4LB_CMD_BACKEND_GET, 0);
	put_svc_id(nlh, &be.svc);
	if (nl_dump(nl, nlh, be_cb, &list, be_list_reset) < 0)
		fail_nl(nl, "service set");
	for (i = 0; i < list.n && !list.v[i].fallback; i++)
		;
	if (i < list.n) {
		nlh = nl_msg(nl, buf, L4LB_CMD_BACKEND_DEL, 0);
		put_be_id(nlh, &list.v[i]);
		if (nl_talk(nl, nlh, NULL, NULL) < 0)
			fail_nl(nl, "service set");
	}
	free(list.v);
	return 0;
}

int cmd_backend(struct nl *nl, int argc, char **argv)
{
	if (!argc)
		fail("backend needs a verb: add, set, del, leave or pick");
	if (!strcmp(argv[0], "add"))
		return backend_change(nl, argc - 1, argv + 1,
				      L4LB_CMD_BACKEND_NEW, "backend add",
				      OPT_WEIGHT);
	if (!strcmp(argv[0], "set"))
		return backend_change(nl, argc - 1, argv + 1,
				      L4LB_CMD_BACKEND_SET, "backend set",
				      OPT_WEIGHT | OPT_HEALTH);
	if (!strcmp(argv[0], "del"))
		return backend_change(nl, argc - 1, argv + 1,
				      L4LB_CMD_BACKEND_DEL, "backend del", 0);
	if (!strcmp(argv[0], "leave"))
		return backend_leave(nl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "pick"))
		return backend_pick(nl, argc - 1, argv + 1);
	fail("backend: unknown verb '%s': use add, set, del, leave or pick",
	     argv[0]);
}
