// SPDX-License-Identifier: GPL-2.0
/* Verbs on services (add, del, show) and the list of everything. */

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
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

static const uint8_t attr_types[L4LB_A_MAX + 1] = {
	[L4LB_A_VERSION] = MNL_TYPE_NUL_STRING,
	[L4LB_A_SVC_PROTO] = MNL_TYPE_U8,
	[L4LB_A_SVC_ADDR4] = MNL_TYPE_U32,
	[L4LB_A_SVC_PORT] = MNL_TYPE_U16,
	[L4LB_A_SVC_PORT_LAST] = MNL_TYPE_U16,
	[L4LB_A_SVC_SCHED] = MNL_TYPE_U8,
	[L4LB_A_SVC_FLAGS] = MNL_TYPE_U32,
	[L4LB_A_SVC_UDP_TIMEOUT] = MNL_TYPE_U32,
	[L4LB_A_SVC_STATS] = MNL_TYPE_NESTED,
	[L4LB_A_SVC_ACTIVE] = MNL_TYPE_U32,
	[L4LB_A_BE_ADDR4] = MNL_TYPE_U32,
	[L4LB_A_BE_PORT] = MNL_TYPE_U16,
	[L4LB_A_BE_WEIGHT] = MNL_TYPE_U16,
	[L4LB_A_BE_ACTIVE] = MNL_TYPE_U32,
	[L4LB_A_BE_STATS] = MNL_TYPE_NESTED,
	[L4LB_A_FLOW_CADDR4] = MNL_TYPE_U32,
	[L4LB_A_FLOW_CPORT] = MNL_TYPE_U16,
	[L4LB_A_FLOW_STATE] = MNL_TYPE_U8,
	[L4LB_A_FLOW_EXPIRES] = MNL_TYPE_U32,
	[L4LB_A_MAX_FLOWS] = MNL_TYPE_U32,
	[L4LB_A_TIMEOUT_SYN] = MNL_TYPE_U32,
	[L4LB_A_TIMEOUT_ESTABLISHED] = MNL_TYPE_U32,
	[L4LB_A_TIMEOUT_CLOSING] = MNL_TYPE_U32,
	[L4LB_A_TIMEOUT_FIN_WAIT] = MNL_TYPE_U32,
	[L4LB_A_FLOWS] = MNL_TYPE_U32,
	[L4LB_A_BE_HEALTH] = MNL_TYPE_U8,
	[L4LB_A_BE_HEALTH_SINCE] = MNL_TYPE_U32,
	[L4LB_A_BE_CHECK] = MNL_TYPE_NUL_STRING,
	[L4LB_A_DOWN_FLOWS] = MNL_TYPE_U32,
	[L4LB_A_HASH_SEED] = MNL_TYPE_U32,
	[L4LB_A_PICK_FLOW] = MNL_TYPE_FLAG,
	[L4LB_A_SVC_ADDR6] = MNL_TYPE_BINARY,
	[L4LB_A_BE_ADDR6] = MNL_TYPE_BINARY,
	[L4LB_A_FLOW_CADDR6] = MNL_TYPE_BINARY,
	[L4LB_A_BE_FALLBACK] = MNL_TYPE_FLAG,
	[L4LB_A_BE_MAX_CONNS] = MNL_TYPE_U32,
	[L4LB_A_BE_MIN_CONNS] = MNL_TYPE_U32,
	[L4LB_A_BE_FULL] = MNL_TYPE_FLAG,
	[L4LB_A_SVC_PERSIST] = MNL_TYPE_U32,
	[L4LB_A_SVC_PERSIST_MASK] = MNL_TYPE_U8,
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	/* Newer modules may send more: skip what this tool does not know. */
	if (type <= 0 || type > L4LB_A_MAX || !attr_types[type])
		return MNL_CB_OK;
	/* The only binary attributes are IPv6 addresses: 16 bytes. */
	if (attr_types[type] == MNL_TYPE_BINARY ?
	    mnl_attr_validate2(attr, MNL_TYPE_BINARY,
			       sizeof(struct in6_addr)) < 0 :
	    mnl_attr_validate(attr, attr_types[type]) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

/* tb[] must hold L4LB_A_MAX + 1 entries. */
int parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	memset(tb, 0, (L4LB_A_MAX + 1) * sizeof(*tb));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, tb);
}

#define STAT(member) offsetof(struct stats, member)

/*
 * Every counter once, drops last: its JSON name, its column in stats,
 * where struct stats keeps it and its attribute.
 */
#define DROP(json, column, width, reason) \
	{ json, column, width, STAT(drops[L4LB_DROP_##reason]), \
	  L4LB_STATS_A_DROP_##reason }
const struct stat_field stat_fields[N_STAT_FIELDS] = {
	{ "conns", "Conns", 8, STAT(conns), L4LB_STATS_A_CONNS },
	{ "adopted", "Adopted", 8, STAT(adopted), L4LB_STATS_A_ADOPTED },
	{ "pkts_in", "InPkts", 10, STAT(pkts_in), L4LB_STATS_A_PKTS_IN },
	{ "bytes_in", "InBytes", 12, STAT(bytes_in), L4LB_STATS_A_BYTES_IN },
	{ "pkts_out", "OutPkts", 10, STAT(pkts_out), L4LB_STATS_A_PKTS_OUT },
	{ "bytes_out", "OutBytes", 12, STAT(bytes_out),
	  L4LB_STATS_A_BYTES_OUT },
	DROP("no_flow", "NoFlow", 7, NO_FLOW),
	DROP("no_backend", "NoBackend", 9, NO_BACKEND),
	DROP("table_full", "TableFull", 9, TABLE_FULL),
	DROP("no_memory", "NoMemory", 8, NO_MEMORY),
	DROP("backend_down", "BackendDown", 11, BACKEND_DOWN),
	DROP("stray", "Stray", 7, STRAY),
	DROP("clash", "Clash", 7, CLASH),
	DROP("backends_full", "BackendsFull", 12, BACKENDS_FULL),
};

uint64_t *stat_ptr(struct stats *st, unsigned int i)
{
	return (uint64_t *)((char *)st + stat_fields[i].offset);
}

uint64_t stat_value(const struct stats *st, unsigned int i)
{
	return *stat_ptr((struct stats *)st, i);
}

void parse_stats(const struct nlattr *nest, struct stats *st)
{
	const struct nlattr *attr;
	int i;

	memset(st, 0, sizeof(*st));
	if (!nest)
		return;
	mnl_attr_for_each_nested(attr, nest) {
		for (i = 0; i < N_STAT_FIELDS; i++)
			if (stat_fields[i].attr == mnl_attr_get_type(attr))
				break;
		if (i == N_STAT_FIELDS ||
		    mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			continue;
		*stat_ptr(st, i) = mnl_attr_get_u64(attr);
	}
}

/* The address attribute of @addr's family: @a4 or @a6. */
void put_addr(struct nlmsghdr *nlh, int a4, int a6, const struct addr *addr)
{
	if (addr->family == AF_INET6)
		mnl_attr_put(nlh, a6, sizeof(addr->v6), &addr->v6);
	else
		mnl_attr_put(nlh, a4, sizeof(addr->v4), &addr->v4);
}

/* An address from @a4 or @a6 of @tb; false if it has neither. */
bool get_addr(const struct nlattr **tb, int a4, int a6, struct addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (tb[a6]) {
		addr->family = AF_INET6;
		memcpy(&addr->v6, mnl_attr_get_payload(tb[a6]),
		       sizeof(addr->v6));
	} else if (tb[a4]) {
		addr->family = AF_INET;
		memcpy(&addr->v4, mnl_attr_get_payload(tb[a4]),
		       sizeof(addr->v4));
	} else {
		return false;
	}
	return true;
}

void put_svc_id(struct nlmsghdr *nlh, const struct svc_id *id)
{
	mnl_attr_put_u8(nlh, L4LB_A_SVC_PROTO, id->proto);
	put_addr(nlh, L4LB_A_SVC_ADDR4, L4LB_A_SVC_ADDR6, &id->addr);
	mnl_attr_put_u16(nlh, L4LB_A_SVC_PORT, id->port);
	if (id->last)
		mnl_attr_put_u16(nlh, L4LB_A_SVC_PORT_LAST, id->last);
}

/* "tcp 10.0.0.1:5432" from argv[0..1]; dies with a clear line otherwise. */
void parse_svc_id(int argc, char **argv, struct svc_id *id)
{
	if (argc < 2)
		fail("a service is named by PROTO VIP:PORT, like tcp 10.0.0.1:5432, tcp [2001:db8::1]:443, tcp 10.0.0.1:5060-5080 or udp 10.0.0.1:*");
	if (!parse_proto(argv[0], &id->proto))
		fail("'%s' is not a protocol: use tcp or udp", argv[0]);
	if (!parse_svc_addr(argv[1], &id->addr, &id->port, &id->last))
		fail("'%s' is not VIP:PORT, VIP:FIRST-LAST (FIRST below LAST) or VIP:*, like 10.0.0.1:5432, [2001:db8::1]:443 or 10.0.0.1:5060-5080",
		     argv[1]);
}

/* A service from a message of the family; false if it names none. */
bool parse_svc_msg(const struct nlmsghdr *nlh, struct svc_info *info)
{
	const struct nlattr *tb[L4LB_A_MAX + 1];

	memset(info, 0, sizeof(*info));
	parse_attrs(nlh, tb);
	if (!tb[L4LB_A_SVC_PROTO] || !tb[L4LB_A_SVC_PORT] ||
	    !get_addr(tb, L4LB_A_SVC_ADDR4, L4LB_A_SVC_ADDR6, &info->id.addr))
		return false;
	info->id.proto = mnl_attr_get_u8(tb[L4LB_A_SVC_PROTO]);
	info->id.port = mnl_attr_get_u16(tb[L4LB_A_SVC_PORT]);
	if (tb[L4LB_A_SVC_PORT_LAST])
		info->id.last = mnl_attr_get_u16(tb[L4LB_A_SVC_PORT_LAST]);
	if (tb[L4LB_A_SVC_SCHED])
		info->sched = mnl_attr_get_u8(tb[L4LB_A_SVC_SCHED]);
	if (tb[L4LB_A_SVC_FLAGS])
		info->flags = mnl_attr_get_u32(tb[L4LB_A_SVC_FLAGS]);
	if (tb[L4LB_A_SVC_UDP_TIMEOUT])
		info->udp_timeout = mnl_attr_get_u32(tb[L4LB_A_SVC_UDP_TIMEOUT]);
	if (tb[L4LB_A_SVC_PERSIST])
		info->persist = mnl_attr_get_u32(tb[L4LB_A_SVC_PERSIST]);
	if (tb[L4LB_A_SVC_PERSIST_MASK])
		info->netmask = mnl_attr_get_u8(tb[L4LB_A_SVC_PERSIST_MASK]);
	if (tb[L4LB_A_SVC_ACTIVE])
		info->active = mnl_attr_get_u32(tb[L4LB_A_SVC_ACTIVE]);
	parse_stats(tb[L4LB_A_SVC_STATS], &info->stats);
	return true;
}

static int svc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct svc_list *list = data;
	struct svc_info info;

	if (!parse_svc_msg(nlh, &info))
		return MNL_CB_OK;
	list->v = grow(list->v, &list->cap, list->n, sizeof(*list->v));
	list->v[list->n++] = info;
	return MNL_CB_OK;
}

static void svc_list_reset(void *data)
{
	((struct svc_list *)data)->n = 0;
}

/* Every service, in the order they were added; caller frees. */
/* Every service into *@out (@n of them); -1 and errno if the dump fails. */
int list_services(struct nl *nl, struct svc_info **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct svc_list list = { 0 };

	if (nl_dump(nl, nl_msg(nl, buf, L4LB_CMD_SERVICE_GET, 0), svc_cb,
		    &list, svc_list_reset) < 0) {
		free(list.v);
		return -1;
	}
	*out = list.v;
	*n = list.n;
	return 0;
}

size_t get_services(struct nl *nl, struct svc_info **out)
{
	size_t n;

	if (list_services(nl, out, &n) < 0)
		fail_nl(nl, "service show");
	return n;
}

/* "stats":{"conns":N,...,"drops":{"no_flow":N,...}} */
void print_stats_json(const struct stats *st)
{
	unsigned int i;

	printf("\"stats\":{");
	for (i = 0; i < N_STAT_FIELDS; i++)
		printf("%s\"%s\":%llu", i == STAT_FIRST_DROP ? ",\"drops\":{" :
		       i ? "," : "", stat_fields[i].json,
		       (unsigned long long)stat_value(st, i));
	printf("}}");
}

/* @s as a JSON string: quotes, backslashes and control characters escaped. */
void print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/*
 * up, full (at its connection limit), drain (weight 0) or down: what the
 * pool makes of the backend.
 */
const char *be_state(const struct be_info *be)
{
	if (be->health == L4LB_HEALTH_DOWN)
		return "down";
	if (!be->weight)
		return "drain";
	return be->full ? "full" : "up";
}

/*
 * "state":"up","health":"up","health_since":12,"fallback":false,
 * "check":"...","max_conns":0,"min_conns":0
 */
void print_be_state_json(const struct be_info *be)
{
	printf("\"state\":\"%s\",\"health\":\"%s\",\"health_since\":%u,"
	       "\"fallback\":%s,\"check\":", be_state(be),
	       be->health == L4LB_HEALTH_DOWN ? "down" : "up",
	       be->health_since, be->fallback ? "true" : "false");
	print_json_str(be->check);
	printf(",\"max_conns\":%u,\"min_conns\":%u", be->max_conns,
	       be->min_conns);
}

static void print_service_json(const struct svc_info *s,
			       const struct be_info *be, size_t nbe)
{
	size_t i;

	printf("{\"proto\":\"%s\",\"address\":\"%s\",\"port\":%u,"
	       "\"sched\":\"%s\",\"stateless\":%s,\"hash_port\":%s,",
	       proto_name(s->id.proto), fmt_addr(&s->id.addr), s->id.port,
	       sched_name(s->sched),
	       s->flags & L4LB_SVC_F_STATELESS ? "true" : "false",
	       s->flags & L4LB_SVC_F_HASH_PORT ? "true" : "false");
	if (s->id.proto == IPPROTO_UDP)
		printf("\"udp_timeout\":%u,", s->udp_timeout);
	printf("\"flows\":%u,", s->active);
	print_stats_json(&s->stats);
	/* After the keys that were there before it: scripts match those. */
	printf(",\"persist\":%u", s->persist);
	if (s->persist)
		printf(",\"netmask\":%u", s->netmask);
	printf(",\"local_clients\":%s",
	       s->flags & L4LB_SVC_F_LOCAL_CLIENTS ? "true" : "false");
	/* A range: "port" is its first port, "port_last" its last. */
	if (s->id.last)
		printf(",\"port_last\":%u", s->id.last);
	printf(",\"backends\":[");
	for (i = 0; i < nbe; i++) {
		printf("%s{\"address\":\"%s\",\"port\":%u,\"weight\":%u,"
		       "\"flows\":%u,", i ? "," : "", fmt_addr(&be[i].addr),
		       be[i].port,
		       be[i].weight, be[i].active);
		print_be_state_json(&be[i]);
		putchar(',');
		print_stats_json(&be[i].stats);
		putchar('}');
	}
	printf("]}");
}

static void print_service_text(const struct svc_info *s,
			       const struct be_info *be, size_t nbe)
{
	char opts[96] = "";
	size_t i, n;

	if (s->flags & L4LB_SVC_F_STATELESS)
		snprintf(opts, sizeof(opts), " stateless");
	else if (s->id.proto == IPPROTO_UDP)
		snprintf(opts, sizeof(opts), " timeout %u", s->udp_timeout);
	if (s->flags & L4LB_SVC_F_HASH_PORT)
		strncat(opts, " hash-port", sizeof(opts) - strlen(opts) - 1);
	n = strlen(opts);
	if (s->persist)
		snprintf(opts + n, sizeof(opts) - n, " persist %u netmask %u",
			 s->persist, s->netmask);
	if (s->flags & L4LB_SVC_F_LOCAL_CLIENTS)
		strncat(opts, " local-clients", sizeof(opts) - strlen(opts) - 1);
	printf("%-5s %-21s %-5s %-7u %llu%s\n", proto_name(s->id.proto),
	       fmt_svc_addr(&s->id), sched_name(s->sched),
	       s->active, (unsigned long long)s->stats.conns, opts);
	for (i = 0; i < nbe; i++) {
		printf("  -> %-21s %-6u %-7u %-7llu %-8llu %-9llu %s",
		       fmt_addr_port(&be[i].addr, be[i].port), be[i].weight,
		       be[i].active, (unsigned long long)be[i].stats.conns,
		       (unsigned long long)be[i].stats.pkts_in,
		       (unsigned long long)be[i].stats.pkts_out,
		       be_state(&be[i]));
		if (be[i].max_conns)
			printf(" max-conns %u min-conns %u", be[i].max_conns,
			       be[i].min_conns);
		/* Takes new flows only while no other backend can. */
		if (be[i].fallback)
			printf(" fallback");
		/* A health checker's verdict: since when, and why. */
		if (be[i].check[0] || be[i].health == L4LB_HEALTH_DOWN)
			printf(" for %s", fmt_duration(be[i].health_since));
		if (be[i].check[0])
			printf(" (%s)", be[i].check);
		putchar('\n');
	}
}

/* With @with_backends, each service's pool too (one more dump each). */
static void print_services(struct nl *nl, const struct svc_list *list,
			   bool with_backends)
{
	struct be_info *be = NULL;
	size_t i, nbe = 0;

	if (json)
		putchar('[');
	else
		printf("%-5s %-21s %-5s %-7s %s\n"
		       "  -> %-21s %-6s %-7s %-7s %-8s %-9s %s\n",
		       "Proto", "Service", "Sched", "Flows", "Conns",
		       "Backend", "Weight", "Flows", "Conns", "InPkts",
		       "OutPkts", "State");
	for (i = 0; i < list->n; i++) {
		if (with_backends)
			nbe = get_backends(nl, &list->v[i].id, &be);
		if (json) {
			if (i)
				putchar(',');
			print_service_json(&list->v[i], be, nbe);
		} else {
			print_service_text(&list->v[i], be, nbe);
		}
		free(be);
		be = NULL;
	}
	if (json)
		puts("]");
}

/*
 * persist SECONDS|off and netmask PREFIX (or /PREFIX) at argv[*@i], into
 * @nlh; false if argv[*@i] is neither. *@persist and *@netmask: what was
 * given (-1 if not).
 */
static bool parse_persist_opt(int argc, char **argv, int *i,
			      const struct svc_id *id, struct nlmsghdr *nlh,
			      long *persist, long *netmask)
{
	unsigned int full = id->addr.family == AF_INET6 ? 128 : 32;
	const char *v;
	unsigned long n;
	char *end;

	if (strcmp(argv[*i], "persist") && strcmp(argv[*i], "netmask"))
		return false;
	if (*i + 1 >= argc)
		fail("'%s' needs a value", argv[*i]);
	v = argv[*i + 1];
	if (!strcmp(argv[*i], "persist")) {
		n = strtoul(v, &end, 10);
		if (!strcmp(v, "off"))
			n = 0;
		else if (*end || end == v || *v == '-' ||
			 n > L4LB_PERSIST_MAX)
			fail("persist '%s' is not off or 0 to %u seconds", v,
			     L4LB_PERSIST_MAX);
		*persist = n;
		mnl_attr_put_u32(nlh, L4LB_A_SVC_PERSIST, n);
	} else {
		n = strtoul(v + (*v == '/'), &end, 10);
		if (*end || end == v + (*v == '/') || v[*v == '/'] == '-' ||
		    n < 1 || n > full)
			fail("netmask '%s' is not a prefix length of 1 to %u for an %s service",
			     v, full, full == 32 ? "IPv4" : "IPv6");
		*netmask = n;
		mnl_attr_put_u8(nlh, L4LB_A_SVC_PERSIST_MASK, n);
	}
	*i += 1;
	return true;
}

static int service_add(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	long persist = -1, netmask = -1;
	uint32_t flags = 0;
	struct svc_id id;
	unsigned long v;
	uint8_t sched;
	char *end;
	int i;

	parse_svc_id(argc, argv, &id);
	nlh = nl_msg(nl, buf, L4LB_CMD_SERVICE_NEW, 0);
	put_svc_id(nlh, &id);
	for (i = 2; i < argc; i++) {
		if (parse_persist_opt(argc, argv, &i, &id, nlh, &persist,
				      &netmask))
			continue;
		if (!strcmp(argv[i], "stateless")) {
			flags |= L4LB_SVC_F_STATELESS;
			continue;
		}
		if (!strcmp(argv[i], "hash-port")) {
			flags |= L4LB_SVC_F_HASH_PORT;
			continue;
		}
		if (!strcmp(argv[i], "local-clients")) {
			flags |= L4LB_SVC_F_LOCAL_CLIENTS;
			continue;
		}
		if (i + 1 >= argc)
			fail("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "sched")) {
			if (!parse_sched(argv[++i], &sched))
				fail("'%s' is not a scheduler: use rr, wrr, lc, wlc, sh or mh",
				     argv[i]);
			mnl_attr_put_u8(nlh, L4LB_A_SVC_SCHED, sched);
		} else if (!strcmp(argv[i], "timeout")) {
			v = strtoul(argv[++i], &end, 10);
			if (*end || end == argv[i] ||
			    v < L4LB_UDP_TIMEOUT_MIN || v > L4LB_UDP_TIMEOUT_MAX)
				fail("timeout '%s' is not %u to %u seconds",
				     argv[i], L4LB_UDP_TIMEOUT_MIN,
				     L4LB_UDP_TIMEOUT_MAX);
			mnl_attr_put_u32(nlh, L4LB_A_SVC_UDP_TIMEOUT, v);
		} else {
			fail("service add: unknown option '%s'", argv[i]);
		}
	}
	if (netmask >= 0 && persist <= 0)
		fail("service add: netmask needs persist SECONDS");
	if (flags)
		mnl_attr_put_u32(nlh, L4LB_A_SVC_FLAGS, flags);
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "service add");
	return 0;
}

/* local-clients on|off at argv[*@i], into @nlh; false if it is not that. */
static bool parse_local_opt(int argc, char **argv, int *i,
			    struct nlmsghdr *nlh)
{
	uint32_t on;

	if (strcmp(argv[*i], "local-clients"))
		return false;
	if (*i + 1 >= argc)
		fail("'local-clients' needs on or off");
	if (!strcmp(argv[*i + 1], "on"))
		on = L4LB_SVC_F_LOCAL_CLIENTS;
	else if (!strcmp(argv[*i + 1], "off"))
		on = 0;
	else
		fail("local-clients '%s' is not on or off", argv[*i + 1]);
	mnl_attr_put_u32(nlh, L4LB_A_SVC_FLAGS, on);
	mnl_attr_put_u32(nlh, L4LB_A_SVC_FLAGS_MASK, L4LB_SVC_F_LOCAL_CLIENTS);
	*i += 1;
	return true;
}

/* service set ... fallback ADDRESS:PORT|none, persistence, local-clients. */
static int service_set(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	long persist = -1, netmask = -1;
	struct nlmsghdr *nlh;
	struct svc_id id;
	bool local = false;
	int i;

	if (argc > 2 && !strcmp(argv[2], "fallback"))
		return set_fallback(nl, argc, argv);
	parse_svc_id(argc, argv, &id);
	if (argc < 3)
		fail("service set: use service set PROTO VIP:PORT fallback ADDRESS:PORT|none, or persist SECONDS|off [netmask PREFIX], or local-clients on|off");
	nlh = nl_msg(nl, buf, L4LB_CMD_SERVICE_SET, 0);
	put_svc_id(nlh, &id);
	for (i = 2; i < argc; i++) {
		if (parse_persist_opt(argc, argv, &i, &id, nlh, &persist,
				      &netmask))
			continue;
		if (local || !parse_local_opt(argc, argv, &i, nlh))
			fail("service set: unknown option '%s'", argv[i]);
		local = true;
	}
	if (netmask >= 0 && persist == 0)
		fail("service set: netmask needs persist SECONDS, not off");
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "service set");
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

static int service_show(struct nl *nl, int argc, char **argv,
			bool with_backends)
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
	print_services(nl, &list, with_backends);
	free(list.v);
	return 0;
}

int cmd_service(struct nl *nl, int argc, char **argv)
{
	if (!argc)
		fail("service needs a verb: add, set, del or show");
	if (!strcmp(argv[0], "add"))
		return service_add(nl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return service_set(nl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "del"))
		return service_del(nl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "show"))
		return service_show(nl, argc - 1, argv + 1, true);
	fail("service: unknown verb '%s': use add, set, del or show", argv[0]);
}

int cmd_list(struct nl *nl, int argc, char **argv)
{
	if (argc)
		fail("list takes no arguments");
	return service_show(nl, 0, argv, true);
}

/* "service add tcp 10.0.0.1:80 sched rr": the line that makes @s. */
void print_service_add(const struct svc_info *s)
{
	printf("service add %s %s sched %s", proto_name(s->id.proto),
	       fmt_svc_addr(&s->id), sched_name(s->sched));
	if (s->id.proto == IPPROTO_UDP)
		printf(" timeout %u", s->udp_timeout);
	if (s->flags & L4LB_SVC_F_STATELESS)
		printf(" stateless");
	if (s->flags & L4LB_SVC_F_HASH_PORT)
		printf(" hash-port");
	if (s->persist)
		printf(" persist %u", s->persist);
	/* The whole address is the default: said only when narrower. */
	if (s->persist && s->netmask != (s->id.addr.family == AF_INET6 ?
					 128 : 32))
		printf(" netmask %u", s->netmask);
	if (s->flags & L4LB_SVC_F_LOCAL_CLIENTS)
		printf(" local-clients");
	putchar('\n');
}

/* Every service and backend as the commands that make them (for save). */
void save_services(struct nl *nl)
{
	struct svc_info *svc;
	struct be_info *be;
	size_t i, j, nsvc, nbe;

	nsvc = get_services(nl, &svc);
	for (i = 0; i < nsvc; i++) {
		print_service_add(&svc[i]);
		nbe = get_backends(nl, &svc[i].id, &be);
		for (j = 0; j < nbe; j++)
			print_backend_line("add", &be[j]);
		free(be);
	}
	free(svc);
}
