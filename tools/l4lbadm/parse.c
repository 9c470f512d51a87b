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

/* "10.0.0.1" or "2001:db8::1": an address alone, of either family. */
bool parse_addr(const char *s, struct addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, &addr->v4) == 1) {
		addr->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &addr->v6) == 1) {
		addr->family = AF_INET6;
		return true;
	}
	return false;
}

/*
 * "10.0.0.1:5432" or "[2001:db8::1]:443", as ip and ipvsadm write them:
 * an IPv6 address in brackets, a colon, a port from 1 to 65535.
 */
static bool parse_host_port(const char *s, struct addr *addr,
			    const char **rest)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *h = s;
	size_t hlen;

	if (*s == '[') {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return false;
		h = s + 1;
		hlen = colon - h;
		colon++;
	} else {
		colon = strrchr(s, ':');
		/* An IPv6 address with a port takes brackets. */
		if (!colon || memchr(s, ':', colon - s))
			return false;
		hlen = colon - s;
	}
	if (!hlen || hlen >= sizeof(host))
		return false;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (!parse_addr(host, addr) || (*s == '[') != (addr->family == AF_INET6))
		return false;
	*rest = colon + 1;
	return true;
}

/* A port from 1 to 65535 at @s, up to @*end. */
static bool parse_port(const char *s, char **end, uint16_t *port)
{
	unsigned long p;

	if (*s < '0' || *s > '9')
		return false;
	p = strtoul(s, end, 10);
	if (p < 1 || p > 65535)
		return false;
	*port = p;
	return true;
}

bool parse_addr_port(const char *s, struct addr *addr, uint16_t *port)
{
	const char *rest;
	char *end;

	return parse_host_port(s, addr, &rest) && parse_port(rest, &end, port) &&
	       !*end;
}

/*
 * A service's address and ports: VIP:PORT, VIP:FIRST-LAST (a range,
 * FIRST below LAST) or VIP:* (every port, 1-65535). *@last is 0 for a
 * single port.
 */
bool parse_svc_addr(const char *s, struct addr *addr, uint16_t *port,
		    uint16_t *last)
{
	const char *rest;
	char *end;

	*last = 0;
	if (!parse_host_port(s, addr, &rest))
		return false;
	if (!strcmp(rest, "*")) {
		*port = 1;
		*last = 65535;
		return true;
	}
	if (!parse_port(rest, &end, port))
		return false;
	if (*end == '-')
		return parse_port(end + 1, &end, last) && !*end && *last > *port;
	return !*end;
}

/*
 * A backend: ADDRESS:PORT, or an address alone (port 0: each flow keeps
 * the port its client sent to), bare or in brackets for IPv6.
 */
bool parse_be_addr(const char *s, struct addr *addr, uint16_t *port)
{
	char host[INET6_ADDRSTRLEN];
	size_t len = strlen(s);

	*port = 0;
	if (parse_addr(s, addr))
		return true;
	if (*s == '[' && len > 2 && s[len - 1] == ']' &&
	    len - 2 < sizeof(host)) {
		memcpy(host, s + 1, len - 2);
		host[len - 2] = '\0';
		return parse_addr(host, addr) && addr->family == AF_INET6;
	}
	return parse_addr_port(s, addr, port);
}

bool addr_eq(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET6)
		return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
	return a->v4.s_addr == b->v4.s_addr;
}

/* RFC 5952 text (inet_ntop's), in one of four static buffers. */
const char *fmt_addr(const struct addr *addr)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int which;

	which = (which + 1) % 4;
	inet_ntop(addr->family, addr->family == AF_INET6 ?
		  (const void *)&addr->v6 : (const void *)&addr->v4,
		  buf[which], sizeof(buf[which]));
	return buf[which];
}

/*
 * "10.0.0.1:80", "[2001:db8::1]:80"; port 0 (a portless backend): the
 * address alone. Four static buffers.
 */
const char *fmt_addr_port(const struct addr *addr, uint16_t port)
{
	static char buf[4][INET6_ADDRSTRLEN + 8];
	static int which;

	if (!port)
		return fmt_addr(addr);
	which = (which + 1) % 4;
	snprintf(buf[which], sizeof(buf[which]),
		 addr->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 fmt_addr(addr), port);
	return buf[which];
}

/* "10.0.0.1:80", "10.0.0.1:5060-5080", "[2001:db8::1]:*"; four buffers. */
const char *fmt_svc_addr(const struct svc_id *id)
{
	static char buf[4][INET6_ADDRSTRLEN + 16];
	static int which;
	const char *a = fmt_addr(&id->addr);
	const char *fmt = id->addr.family == AF_INET6 ? "[%s]:" : "%s:";
	size_t n;

	which = (which + 1) % 4;
	n = snprintf(buf[which], sizeof(buf[which]), fmt, a);
	if (id->last && id->port == 1 && id->last == 65535)
		snprintf(buf[which] + n, sizeof(buf[which]) - n, "*");
	else if (id->last)
		snprintf(buf[which] + n, sizeof(buf[which]) - n, "%u-%u",
			 id->port, id->last);
	else
		snprintf(buf[which] + n, sizeof(buf[which]) - n, "%u",
			 id->port);
	return buf[which];
}

const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
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
	return a->proto == b->proto && addr_eq(&a->addr, &b->addr) &&
	       a->port == b->port && a->last == b->last;
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

/* Seconds as 1, 0.5, 2.5 into milliseconds; -1 if not such a number. */
long long parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || v < 0.01 || v > 3600)
		return -1;
	return (long long)(v * 1000 + 0.5);
}
