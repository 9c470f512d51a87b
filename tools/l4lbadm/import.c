// SPDX-License-Identifier: GPL-2.0
/*
 * What every import-* verb shares: the lines made so far, refusals (one
 * line each on stderr, naming where), the checks of what l4lb can map
 * (schedulers, weights, families), and the end: nothing printed or applied
 * if anything was refused, else the lines printed, or restored all or
 * nothing.
 */

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "l4lbadm.h"

void import_start(struct import *im, const char *verb)
{
	memset(im, 0, sizeof(*im));
	im->verb = verb;
	im->mem = open_memstream(&im->out, &im->len);
	if (!im->mem)
		fail("out of memory");
}

/* "l4lbadm: VERB: FILE:LINE: why", or "line LINE" without a file. */
void import_refuse(struct import *im, const char *file, int line,
		   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", prog, im->verb);
	if (file)
		fprintf(stderr, "%s:%d: ", file, line);
	else
		fprintf(stderr, "line %d: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	im->errors++;
}

/* Why @sched has no equivalent, or NULL. */
const char *import_sched(const char *sched)
{
	uint8_t s;

	if (!parse_sched(sched, &s))
		return "this scheduler has no equivalent in l4lb (rr, wrr, lc, wlc, sh, mh)";
	return NULL;
}

/* Why @s is no l4lb weight, or NULL with the weight in @v. */
const char *import_weight(const char *s, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	if (*end || end == s || *v > L4LB_WEIGHT_MAX)
		return "a weight is 0 to 1000 in l4lb";
	return NULL;
}

/* Why @s is no persistence timeout, or NULL with its seconds in @v. */
const char *import_persist(const char *s, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	if (*end || end == s || *s == '-' || *v > L4LB_PERSIST_MAX)
		return "persistence is 0 to 2073600 seconds (24 days) in l4lb";
	return NULL;
}

/*
 * Why @s is no netmask for a service at @va, or NULL with its prefix
 * length in @prefix: an IPv4 service's is a dotted mask (IPVS's and
 * keepalived's) or a prefix length, an IPv6 one's a prefix length.
 */
const char *import_netmask(const char *s, const struct addr *va,
			   unsigned int *prefix)
{
	unsigned int full = va->family == AF_INET6 ? 128 : 32;
	struct in_addr m;
	unsigned long n;
	uint32_t bits;
	char *end;

	if (va->family == AF_INET && inet_pton(AF_INET, s, &m) == 1) {
		bits = ntohl(m.s_addr);
		n = __builtin_popcount(bits);
		if (!n || bits != ~0U << (32 - n))
			return "a netmask is contiguous ones, at least one (255.255.255.0, /24)";
		*prefix = n;
		return NULL;
	}
	n = strtoul(s + (*s == '/'), &end, 10);
	if (*end || end == s + (*s == '/') || s[*s == '/'] == '-' || !n ||
	    n > full)
		return full == 32 ?
		       "an IPv4 service's netmask is a dotted mask or a prefix length of 1 to 32" :
		       "an IPv6 service's netmask is a prefix length of 1 to 128";
	*prefix = n;
	return NULL;
}

/*
 * " persist T netmask P", as service add takes it: nothing for 0 (off),
 * no netmask for the whole address (the default).
 */
void import_print_persist(FILE *f, unsigned long persist,
			  unsigned int prefix, const struct addr *va)
{
	if (!persist)
		return;
	fprintf(f, " persist %lu", persist);
	if (prefix && prefix != (va->family == AF_INET6 ? 128U : 32U))
		fprintf(f, " netmask %u", prefix);
}

/* Why a backend at @a cannot serve a service at @va, or NULL. */
const char *import_family(const struct addr *a, const struct addr *va)
{
	if (a->family != va->family)
		return "a real server of another family than its service (IPVS tunnels only) has no equivalent in l4lb";
	return NULL;
}

/* A UDP real server, and the service ("udp VIP:PORT") it serves. */
struct import_udp {
	struct addr a;
	uint16_t port;
	char svc[80];
};

/*
 * Why real server @a:@port cannot serve service @svc (l4lbadm's "udp
 * VIP:PORT"), or NULL: a UDP one already serves another UDP service
 * (IPVS takes it; l4lb refuses it, as the kernel would on restore). A
 * TCP server may serve any number of TCP services.
 */
const char *import_udp(struct import *im, const char *svc,
		       const struct addr *a, uint16_t port)
{
	struct import_udp *u;
	size_t i;

	if (strncmp(svc, "udp ", 4))
		return NULL;
	for (i = 0; i < im->n_udp; i++) {
		u = &im->udp[i];
		if (u->port == port && addr_eq(&u->a, a))
			return strcmp(u->svc, svc) ? "a UDP real server of two UDP services: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own real server port" :
			       NULL;
	}
	u = realloc(im->udp, (im->n_udp + 1) * sizeof(*u));
	if (!u)
		fail("out of memory");
	im->udp = u;
	u = &im->udp[im->n_udp++];
	u->a = *a;
	u->port = port;
	snprintf(u->svc, sizeof(u->svc), "%s", svc);
	return NULL;
}

/*
 * The lines are complete: true (and the refusals counted, the lines
 * dropped) if anything was refused.
 */
bool import_refused(struct import *im, bool apply)
{
	fclose(im->mem);
	im->mem = NULL;
	free(im->udp);
	im->udp = NULL;
	im->n_udp = 0;
	if (!im->errors)
		return false;
	fprintf(stderr, "%s: %s: %d lines without an equivalent; nothing %s\n",
		prog, im->verb, im->errors, apply ? "applied" : "printed");
	free(im->out);
	im->out = NULL;
	return true;
}

/* Prints the lines, or restores them (all or nothing); the exit status. */
int import_end(struct nl *nl, struct import *im, bool apply)
{
	FILE *in;
	int rc;

	if (!apply) {
		fputs(im->out, stdout);
		free(im->out);
		return 0;
	}
	open_family(nl);
	in = fmemopen(im->out, im->len ? im->len : 1, "r");
	if (!in)
		fail("out of memory");
	rc = restore_stream(nl, in);
	fclose(in);
	free(im->out);
	return rc;
}
