// SPDX-License-Identifier: GPL-2.0
/*
 * stats -o prometheus: every counter and gauge in the Prometheus text
 * format (version 0.0.4), for node_exporter's textfile collector. Each
 * metric is one family: its HELP and TYPE once, then a sample per service
 * or backend, labelled proto, service, backend and direction or reason.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l4lbadm.h"

/* A service and its backends, read once: every family prints from them. */
struct svc_all {
	struct svc_info svc;
	struct be_info *be;
	size_t nbe;
};

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void svc_labels(const struct svc_id *id)
{
	printf("proto=\"%s\",service=\"%s\"", proto_name(id->proto),
	       fmt_svc_addr(id));
}

static void be_labels(const struct be_info *be)
{
	svc_labels(&be->svc);
	printf(",backend=\"%s\"", fmt_addr_port(&be->addr, be->port));
}

/* Counter @i of struct stats of every service or backend, labelled. */
static void stat_samples(const struct svc_all *all, size_t n, bool backends,
			 const char *name, unsigned int i, const char *label)
{
	size_t s, b;

	for (s = 0; s < n; s++) {
		if (!backends) {
			printf("%s{", name);
			svc_labels(&all[s].svc.id);
			printf("%s} %llu\n", label,
			       (unsigned long long)stat_value(&all[s].svc.stats, i));
			continue;
		}
		for (b = 0; b < all[s].nbe; b++) {
			printf("%s{", name);
			be_labels(&all[s].be[b]);
			printf("%s} %llu\n", label,
			       (unsigned long long)stat_value(&all[s].be[b].stats, i));
		}
	}
}

/*
 * The traffic counters of services (@backends false) or backends, under
 * l4lb_service_... or l4lb_backend_...
 */
static void print_traffic(const struct svc_all *all, size_t n, bool backends)
{
	const char *who = backends ? "backend" : "service";
	char name[64], label[64];
	unsigned int i;

	snprintf(name, sizeof(name), "l4lb_%s_connections_total", who);
	family(name, "counter", "Flows created (TCP connections, UDP sessions).");
	stat_samples(all, n, backends, name, 0, "");
	snprintf(name, sizeof(name), "l4lb_%s_adopted_total", who);
	family(name, "counter", "Flows adopted from another balancer (sh, mh).");
	stat_samples(all, n, backends, name, 1, "");
	snprintf(name, sizeof(name), "l4lb_%s_packets_total", who);
	family(name, "counter", "Packets, in: client to backend, out: back.");
	stat_samples(all, n, backends, name, 2, ",direction=\"in\"");
	stat_samples(all, n, backends, name, 4, ",direction=\"out\"");
	snprintf(name, sizeof(name), "l4lb_%s_bytes_total", who);
	family(name, "counter", "Bytes of IP packets, each direction.");
	stat_samples(all, n, backends, name, 3, ",direction=\"in\"");
	stat_samples(all, n, backends, name, 5, ",direction=\"out\"");
	snprintf(name, sizeof(name), "l4lb_%s_drops_total", who);
	family(name, "counter", "Packets dropped, by reason.");
	for (i = STAT_FIRST_DROP; i < N_STAT_FIELDS; i++) {
		snprintf(label, sizeof(label), ",reason=\"%s\"",
			 stat_fields[i].json);
		stat_samples(all, n, backends, name, i, label);
	}
}

static unsigned int be_flows(const struct be_info *be)
{
	return be->active;
}

static unsigned int be_up(const struct be_info *be)
{
	return be->health != L4LB_HEALTH_DOWN;
}

static unsigned int be_weight(const struct be_info *be)
{
	return be->weight;
}

static unsigned int be_max_conns(const struct be_info *be)
{
	return be->max_conns;
}

static unsigned int be_full(const struct be_info *be)
{
	return be->full;
}

static unsigned int be_fallback(const struct be_info *be)
{
	return be->fallback;
}

/* A backend's gauges: what it is now. */
static const struct {
	const char *name, *help;
	unsigned int (*value)(const struct be_info *be);
} be_gauges[] = {
	{ "l4lb_backend_flows", "Flows of a backend now.", be_flows },
	{ "l4lb_backend_up", "1 if the backend passes its health checks, 0 if down.",
	  be_up },
	{ "l4lb_backend_weight", "The backend's weight (0: draining, no new flows).",
	  be_weight },
	{ "l4lb_backend_max_conns", "The backend's max-conns (0: no limit).",
	  be_max_conns },
	{ "l4lb_backend_full", "1 if the backend is at its max-conns: no new flows.",
	  be_full },
	{ "l4lb_backend_fallback",
	  "1 for the service's fallback server (new flows only while no other backend is usable).",
	  be_fallback },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void print_prometheus(struct nl *nl, const struct settings *st,
		      const struct svc_info *svc, size_t nsvc)
{
	struct svc_all *all = calloc(nsvc ? nsvc : 1, sizeof(*all));
	unsigned long long per_proto[2] = { 0, 0 };
	size_t s, b, g;

	if (!all)
		fail("out of memory");
	for (s = 0; s < nsvc; s++) {
		all[s].svc = svc[s];
		all[s].nbe = get_backends(nl, &svc[s].id, &all[s].be);
		per_proto[svc[s].id.proto == IPPROTO_UDP] += svc[s].active;
	}

	family("l4lb_table_flows", "gauge",
	       "Flows in the table (TCP and UDP share it).");
	printf("l4lb_table_flows %u\n", st->flows);
	family("l4lb_table_max_flows", "gauge",
	       "Flows the table holds at most (max-flows); new flows beyond are dropped as table_full.");
	printf("l4lb_table_max_flows %u\n", st->value[0]);
	family("l4lb_flows", "gauge", "Flows of the services, by protocol.");
	printf("l4lb_flows{proto=\"tcp\"} %llu\n", per_proto[0]);
	printf("l4lb_flows{proto=\"udp\"} %llu\n", per_proto[1]);

	family("l4lb_service_flows", "gauge", "Flows of a service now.");
	for (s = 0; s < nsvc; s++) {
		printf("l4lb_service_flows{");
		svc_labels(&all[s].svc.id);
		printf("} %u\n", all[s].svc.active);
	}
	print_traffic(all, nsvc, false);

	for (g = 0; g < ARRAY_SIZE(be_gauges); g++) {
		family(be_gauges[g].name, "gauge", be_gauges[g].help);
		for (s = 0; s < nsvc; s++)
			for (b = 0; b < all[s].nbe; b++) {
				printf("%s{", be_gauges[g].name);
				be_labels(&all[s].be[b]);
				printf("} %u\n", be_gauges[g].value(&all[s].be[b]));
			}
	}
	print_traffic(all, nsvc, true);

	for (s = 0; s < nsvc; s++)
		free(all[s].be);
	free(all);
}
