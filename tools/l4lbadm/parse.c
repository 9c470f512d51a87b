// SPDX-License-Identifier: GPL-2.0
/* Words to values and back: no I/O, no state. */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/l4lb.h>

#include "l4lbadm.h"

static const char *const sched_names[] = {
	[L4LB_SCHED_RR] = "rr",
	[L4LB_SCHED_WRR] = "wrr",
	[L4LB_SCHED_LC] = "lc",
	[L4LB_SCHED_WLC] = "wlc",
	[L4LB_SCHED_SH] = "sh",
	[L4LB_SCHED_MH] = "mh",
};

bool parse_proto(const char *s, uint8_t *proto)
{
	if (!strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return false;
	return true;
}

const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

/* "10.0.0.1:5432": a dotted quad, a colon, a port from 1 to 65535. */
bool parse_addr_port(const char *s, struct in_addr *addr, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	unsigned long p;
	char *end;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return false;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, addr) != 1)
		return false;
	if (colon[1] < '0' || colon[1] > '9')
		return false;
	p = strtoul(colon + 1, &end, 10);
	if (*end || p < 1 || p > 65535)
		return false;
	*port = p;
	return true;
}

bool parse_sched(const char *s, uint8_t *sched)
{
	unsigned int i;

	for (i = 0; i < sizeof(sched_names) / sizeof(sched_names[0]); i++) {
		if (!strcmp(s, sched_names[i])) {
			*sched = i;
			return true;
		}
	}
	return false;
}

const char *sched_name(uint8_t sched)
{
	if (sched < sizeof(sched_names) / sizeof(sched_names[0]))
		return sched_names[sched];
	return "?";
}

bool svc_id_eq(const struct svc_id *a, const struct svc_id *b)
{
	return a->proto == b->proto && a->addr.s_addr == b->addr.s_addr &&
	       a->port == b->port;
}

/* 45s, 12m, 5h, 3d: a duration in its largest whole unit (a static buffer). */
const char *fmt_duration(uint32_t seconds)
{
	static char buf[16];

	if (seconds < 120)
		snprintf(buf, sizeof(buf), "%us", seconds);
	else if (seconds < 2 * 3600)
		snprintf(buf, sizeof(buf), "%um", seconds / 60);
	else if (seconds < 2 * 86400)
		snprintf(buf, sizeof(buf), "%uh", seconds / 3600);
	else
		snprintf(buf, sizeof(buf), "%ud", seconds / 86400);
	return buf;
}
