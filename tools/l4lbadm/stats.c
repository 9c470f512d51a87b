// SPDX-License-Identifier: GPL-2.0
/*
 * stats: the counters of every service and backend (or of one service),
 * traffic each way and drops by reason, like ipvsadm -L --stats.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/l4lb.h>

#include "l4lbadm.h"

/* One row of the table: every counter in its column; NULL @st: headings. */
static void print_row(const char *lead, const char *name,
		      const struct stats *st)
{
	unsigned int i;

	printf("%-5s %-21s", lead, name);
	for (i = 0; i < N_STAT_FIELDS; i++) {
		if (st)
			printf(" %*llu", stat_fields[i].width,
			       (unsigned long long)stat_value(st, i));
		else
			printf(" %*s", stat_fields[i].width,
			       stat_fields[i].column);
	}
	putchar('\n');
}

static void print_json(const struct svc_info *s, const struct be_info *be,
		       size_t nbe)
{
	size_t i;

	printf("{\"proto\":\"%s\",\"address\":\"%s\",\"port\":%u,",
	       proto_name(s->id.proto), fmt_addr(&s->id.addr), s->id.port);
	print_stats_json(&s->stats);
	printf(",\"backends\":[");
	for (i = 0; i < nbe; i++) {
		printf("%s{\"address\":\"%s\",\"port\":%u,", i ? "," : "",
		       fmt_addr(&be[i].addr), be[i].port);
		print_stats_json(&be[i].stats);
		putchar('}');
	}
	printf("]}");
}

/* "stats [-o text|json|prometheus] [PROTO VIP:PORT]" */
int cmd_stats(struct nl *nl, int argc, char **argv)
{
	struct svc_info *svc;
	struct settings st;
	struct be_info *be;
	size_t i, j, nsvc, nbe, shown = 0;
	bool prometheus = false;
	struct svc_id only;

	if (argc && !strcmp(argv[0], "-o")) {
		if (argc < 2)
			fail("stats: -o needs a format: text, json or prometheus");
		if (!strcmp(argv[1], "prometheus"))
			prometheus = true;
		else if (!strcmp(argv[1], "json"))
			json = true;
		else if (strcmp(argv[1], "text"))
			fail("stats: unknown format '%s': use text, json or prometheus",
			     argv[1]);
		argc -= 2, argv += 2;
	}
	if (argc) {
		parse_svc_id(argc, argv, &only);
		if (argc > 2)
			fail("stats: unexpected '%s'", argv[2]);
	}
	get_settings(nl, &st);
	nsvc = get_services(nl, &svc);
	for (i = 0; argc && i < nsvc && !svc_id_eq(&svc[i].id, &only); i++)
		;
	if (argc && i == nsvc)
		fail("stats: no such service");
	if (prometheus) {
		print_prometheus(nl, &st, argc ? &svc[i] : svc, argc ? 1 : nsvc);
		free(svc);
		return 0;
	}
	if (json)
		printf("{\"flows\":%u,\"max-flows\":%u,\"services\":[",
		       st.flows, st.value[0]);
	else
		printf("Flows %u of %u (%.1f%% full)\n", st.flows, st.value[0],
		       st.value[0] ? 100.0 * st.flows / st.value[0] : 0.0);
	if (!json)
		print_row("Proto", "Service", NULL);
	for (i = 0; i < nsvc; i++) {
		if (argc && !svc_id_eq(&svc[i].id, &only))
			continue;
		nbe = get_backends(nl, &svc[i].id, &be);
		if (json) {
			if (shown)
				putchar(',');
			print_json(&svc[i], be, nbe);
		} else {
			print_row(proto_name(svc[i].id.proto),
				  fmt_svc_addr(&svc[i].id), &svc[i].stats);
			for (j = 0; j < nbe; j++)
				print_row("  ->", fmt_addr_port(&be[j].addr,
								be[j].port),
					  &be[j].stats);
		}
		shown++;
		free(be);
	}
	free(svc);
	if (json)
		puts("]}");
	return 0;
}
