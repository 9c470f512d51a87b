// SPDX-License-Identifier: GPL-2.0
/*
 * monitor: every change of services, backends and settings as it happens,
 * printed as the command line that makes it (with -t, after the time it
 * arrived), or as one JSON object a line, its first members the time (in
 * seconds since the epoch) and the event.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/l4lb.h>

#include "l4lbadm.h"

/* "time":...,"event":"...", : how each JSON event begins. */
static char head[96];

static void stamp(const char *event)
{
	struct timespec ts;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(head, sizeof(head), "\"time\":%lld.%06ld,\"event\":\"%s\",",
		 (long long)ts.tv_sec, ts.tv_nsec / 1000, event);
	if (json || !timestamps)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", gmtime(&ts.tv_sec));
	printf("%s.%06ldZ ", when, ts.tv_nsec / 1000);
}

static void print_svc_json(const char *event, const struct svc_info *s)
{
	printf("{%s\"proto\":\"%s\",\"address\":\"%s\",\"port\":%u", head,
	       proto_name(s->id.proto), fmt_addr(&s->id.addr), s->id.port);
	if (s->id.last)
		printf(",\"port_last\":%u", s->id.last);
	if (!strcmp(event, "service add")) {
		printf(",\"sched\":\"%s\",\"stateless\":%s,\"hash_port\":%s",
		       sched_name(s->sched),
		       s->flags & L4LB_SVC_F_STATELESS ? "true" : "false",
		       s->flags & L4LB_SVC_F_HASH_PORT ? "true" : "false");
		if (s->id.proto == IPPROTO_UDP)
			printf(",\"udp_timeout\":%u", s->udp_timeout);
	}
	if (strcmp(event, "service del")) {
		printf(",\"persist\":%u", s->persist);
		if (s->persist)
			printf(",\"netmask\":%u", s->netmask);
		printf(",\"local_clients\":%s",
		       s->flags & L4LB_SVC_F_LOCAL_CLIENTS ? "true" : "false");
	}
	puts("}");
}

static void print_be_json(const struct be_info *be)
{
	printf("{%s\"proto\":\"%s\",\"address\":\"%s\",\"port\":%u,", head,
	       proto_name(be->svc.proto), fmt_addr(&be->svc.addr),
	       be->svc.port);
	if (be->svc.last)
		printf("\"port_last\":%u,", be->svc.last);
	printf("\"backend\":{\"address\":\"%s\",\"port\":%u,"
	       "\"weight\":%u,\"flows\":%u,", fmt_addr(&be->addr), be->port,
	       be->weight, be->active);
	print_be_state_json(be);
	putchar(',');
	print_stats_json(&be->stats);
	puts("}}");
}

static const char *local_word(const struct svc_info *s)
{
	return s->flags & L4LB_SVC_F_LOCAL_CLIENTS ? "on" : "off";
}

static void print_service_event(uint8_t cmd, const struct nlmsghdr *nlh)
{
	const char *event = cmd == L4LB_CMD_SERVICE_NEW ? "service add" :
			    cmd == L4LB_CMD_SERVICE_SET ? "service set" :
							  "service del";
	struct svc_info s;

	if (!parse_svc_msg(nlh, &s))
		return;
	stamp(event);
	if (json)
		print_svc_json(event, &s);
	else if (cmd == L4LB_CMD_SERVICE_NEW)
		print_service_add(&s);
	else if (cmd == L4LB_CMD_SERVICE_SET && s.persist)
		printf("service set %s %s persist %u netmask %u local-clients %s\n",
		       proto_name(s.id.proto),
		       fmt_svc_addr(&s.id), s.persist,
		       s.netmask, local_word(&s));
	else if (cmd == L4LB_CMD_SERVICE_SET)
		printf("service set %s %s persist off local-clients %s\n",
		       proto_name(s.id.proto),
		       fmt_svc_addr(&s.id), local_word(&s));
	else
		printf("service del %s %s\n", proto_name(s.id.proto),
		       fmt_svc_addr(&s.id));
}

static void print_backend_event(uint8_t cmd, const struct nlmsghdr *nlh)
{
	const char *verb = cmd == L4LB_CMD_BACKEND_NEW ? "add" :
			   cmd == L4LB_CMD_BACKEND_SET ? "set" : "del";
	char event[16];
	struct be_info be;

	if (!parse_be_msg(nlh, &be))
		return;
	snprintf(event, sizeof(event), "backend %s", verb);
	stamp(event);
	if (json) {
		print_be_json(&be);
	} else if (cmd == L4LB_CMD_BACKEND_SET) {
		/* Weight and health: the operator's, or a checker's. */
		printf("backend set %s %s %s", proto_name(be.svc.proto),
		       fmt_svc_addr(&be.svc),
		       fmt_addr_port(&be.addr, be.port));
		/* A fallback server has no weight to set. */
		if (!be.fallback)
			printf(" weight %u", be.weight);
		printf(" health %s",
		       be.health == L4LB_HEALTH_DOWN ? "down" : "up");
		print_be_limits(&be);
		if (be.check[0])
			printf(" check \"%s\"", be.check);
		putchar('\n');
	} else {
		print_backend_line(verb, &be);
	}
}

static void print_settings_event(const struct nlmsghdr *nlh)
{
	struct settings st = { 0 };

	parse_settings_msg(nlh, &st);
	stamp("set");
	if (json)
		print_settings_json(head, &st);
	else
		print_set_line(&st);
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	(void)data;
	switch (genl->cmd) {
	case L4LB_CMD_SERVICE_NEW:
	case L4LB_CMD_SERVICE_SET:
	case L4LB_CMD_SERVICE_DEL:
		print_service_event(genl->cmd, nlh);
		break;
	case L4LB_CMD_BACKEND_NEW:
	case L4LB_CMD_BACKEND_SET:
	case L4LB_CMD_BACKEND_DEL:
		print_backend_event(genl->cmd, nlh);
		break;
	case L4LB_CMD_SETTINGS_SET:
		print_settings_event(nlh);
		break;
	default:
		/* A newer module's event: nothing this tool can say of it. */
		break;
	}
	fflush(stdout);
	return MNL_CB_OK;
}

static void events_lost(void)
{
	fprintf(stderr, "%s: monitor: events were lost (socket buffer full); read the state again with 'l4lbadm save'\n",
		prog);
}

int cmd_monitor(struct nl *nl, int argc, char **argv)
{
	(void)argv;
	if (argc)
		fail("monitor takes no arguments");
	if (nl_listen(nl, event_cb, NULL, events_lost) < 0)
		fail_nl(nl, "monitor");
	return 0;
}
