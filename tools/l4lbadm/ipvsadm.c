// SPDX-License-Identifier: GPL-2.0
/*
 * import-ipvsadm [apply] [FILE]: an IPVS configuration, as `ipvsadm-save -n`
 * prints it, turned into l4lbadm's lines: printed, or with "apply" restored
 * (all or nothing, as restore). NAT-mode TCP and UDP services map one to
 * one, a port 0 service (every port) to VIP:*, a port 0 real server to a
 * backend by address alone (each flow keeps its port); what l4lb has no
 * equivalent for (direct routing and tunnel forwarding, firewall-mark
 * (a port range says what a mark over ports did) and SCTP services,
 * persistence engines,
 * other schedulers) is named, one line each on stderr, and
 * nothing is printed or applied. Connection thresholds (-x, -y) are
 * max-conns and min-conns, with the same meaning (0: none, or for -y three
 * quarters of -x); an -e line (edit) becomes a backend set. Persistence
 * (-p [T], 300 s without T, and -M MASK) is persist and netmask.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l4lbadm.h"

#define MAX_WORDS	32

struct ipvs {
	struct import im;
	/* The last -A line's service, as l4lbadm writes it, "" if refused. */
	char svc[80];
	bool svc_refused;
	bool have_svc;
};

static void refuse(struct ipvs *im, int no, const char *what)
{
	import_refuse(&im->im, NULL, no, "%s", what);
}

/*
 * "tcp 10.0.0.1:80" of "-t 10.0.0.1:80" ("tcp [2001:db8::1]:80" of
 * "-t [2001:db8::1]:80"), its address in @a; false (and refused) if not
 * one.
 */
static bool service_words(struct ipvs *im, int no, const char *flag,
			  const char *addr, char *buf, size_t size,
			  struct addr *a)
{
	char all[64];
	uint16_t port, last;
	size_t len;

	if (!strcmp(flag, "-f") || !strcmp(flag, "--fwmark-service")) {
		refuse(im, no, "firewall-mark services have no equivalent in l4lb (the firewall's rules choose their packets): a mark over ports of one address is a port range, service add tcp VIP:FIRST-LAST (VIP:* for every port)");
		return false;
	}
	if (!strcmp(flag, "--sctp-service")) {
		refuse(im, no, "SCTP services have no equivalent in l4lb (TCP and UDP only)");
		return false;
	}
	if (strcmp(flag, "-t") && strcmp(flag, "-u") &&
	    strcmp(flag, "--tcp-service") && strcmp(flag, "--udp-service")) {
		refuse(im, no, "a service is -t or -u ADDRESS:PORT");
		return false;
	}
	/* Port 0: every port (IPVS takes it with -p), l4lb's VIP:*. */
	len = addr ? strlen(addr) : 0;
	if (len > 2 && len < sizeof(all) && !strcmp(addr + len - 2, ":0")) {
		snprintf(all, sizeof(all), "%.*s:*", (int)(len - 2), addr);
		addr = all;
	}
	if (!addr || (!parse_addr_port(addr, a, &port) &&
		      !parse_svc_addr(addr, a, &port, &last))) {
		refuse(im, no, "the service is not ADDRESS:PORT (use ipvsadm-save -n)");
		return false;
	}
	snprintf(buf, size, "%s %s", flag[1] == 't' || flag[2] == 't' ?
		 "tcp" : "udp", addr);
	return true;
}

/* "-A -t VIP:PORT -s SCHED [-o] [-b FLAGS] [-p T [-M MASK]] [--pe X]" */
static void add_service(struct ipvs *im, int no, int argc, char **w)
{
	const char *sched = "wlc", *why, *mask = NULL;
	bool stateless = false, hash_port = false, ok = true;
	char svc[80], *flags, *f, *save, *end;
	unsigned long persist = 0;
	unsigned int prefix = 0;
	struct addr va;
	int i;

	im->have_svc = true;
	im->svc_refused = true;
	if (argc < 3 || !service_words(im, no, w[1], w[2], svc, sizeof(svc),
				       &va))
		return;
	for (i = 3; i < argc; i++) {
		if (!strcmp(w[i], "-s") && i + 1 < argc) {
			sched = w[++i];
		} else if (!strcmp(w[i], "-o") || !strcmp(w[i], "--ops")) {
			stateless = true;
		} else if (!strcmp(w[i], "-b") && i + 1 < argc) {
			flags = w[++i];
			for (f = strtok_r(flags, ",", &save); f;
			     f = strtok_r(NULL, ",", &save)) {
				if (!strcmp(f, "sh-port") || !strcmp(f, "mh-port"))
					hash_port = true;
				/* l4lb hashes over usable backends only. */
				else if (strcmp(f, "sh-fallback") &&
					 strcmp(f, "mh-fallback")) {
					refuse(im, no, "this scheduler flag has no equivalent in l4lb");
					ok = false;
				}
			}
		} else if (!strcmp(w[i], "-p") || !strcmp(w[i], "--persistent")) {
			/* Its timeout is optional: IPVS's default is 300 s. */
			persist = 300;
			if (i + 1 < argc && w[i + 1][0] != '-' &&
			    (strtoul(w[i + 1], &end, 10), !*end)) {
				why = import_persist(w[++i], &persist);
				if (why) {
					refuse(im, no, why);
					ok = false;
				}
			}
		} else if (!strcmp(w[i], "--pe")) {
			refuse(im, no, "persistence engines have no equivalent in l4lb");
			return;
		} else if ((!strcmp(w[i], "-M") || !strcmp(w[i], "--netmask")) &&
			   i + 1 < argc) {
			mask = w[++i];
		} else {
			refuse(im, no, "an option l4lb has no equivalent for");
			return;
		}
	}
	if (import_sched(sched)) {
		refuse(im, no, import_sched(sched));
		return;
	}
	if (stateless && strncmp(svc, "udp", 3)) {
		refuse(im, no, "one-packet scheduling (-o) is for UDP services");
		return;
	}
	/* IPVS takes a mask without -p, and uses none. */
	if (persist && mask) {
		why = import_netmask(mask, &va, &prefix);
		if (why) {
			refuse(im, no, why);
			ok = false;
		}
	}
	if (persist && stateless) {
		refuse(im, no, "persistence (-p) needs sessions, and one-packet scheduling (-o) keeps none");
		ok = false;
	}
	if (!ok)
		return;
	snprintf(im->svc, sizeof(im->svc), "%s", svc);
	im->svc_refused = false;
	fprintf(im->im.mem, "service add %s sched %s%s%s", svc, sched,
		stateless ? " stateless" : "", hash_port ? " hash-port" : "");
	import_print_persist(im->im.mem, persist, prefix, &va);
	/*
	 * IPVS balances the director's own processes too (it hooks
	 * LOCAL_OUT): so does the imported service, but a stateless one,
	 * which cannot tell its local clients' replies apart.
	 */
	if (!stateless)
		fputs(" local-clients", im->im.mem);
	fputc('\n', im->im.mem);
}

/* A real server's options, as ipvsadm-save writes them. */
struct rs_opts {
	const char *rs;
	const char *weight;
	const char *max;	/* -x, the upper threshold */
	const char *min;	/* -y, the lower one */
};

/* Why a real server's options have no equivalent; NULL if they have. */
static const char *backend_options(int argc, char **w, struct rs_opts *o)
{
	bool nat = false;
	int i;

	for (i = 3; i < argc; i++) {
		if (!strcmp(w[i], "-r") && i + 1 < argc)
			o->rs = w[++i];
		else if (!strcmp(w[i], "-m") || !strcmp(w[i], "--masquerading"))
			nat = true;
		else if (!strcmp(w[i], "-g") || !strcmp(w[i], "--gatewaying"))
			return "direct routing (-g) has no equivalent in l4lb (NAT only)";
		else if (!strcmp(w[i], "-i") || !strcmp(w[i], "--ipip"))
			return "tunnel forwarding (-i) has no equivalent in l4lb (NAT only)";
		else if (!strcmp(w[i], "-w") && i + 1 < argc)
			o->weight = w[++i];
		else if ((!strcmp(w[i], "-x") ||
			  !strcmp(w[i], "--u-threshold")) && i + 1 < argc)
			o->max = w[++i];
		else if ((!strcmp(w[i], "-y") ||
			  !strcmp(w[i], "--l-threshold")) && i + 1 < argc)
			o->min = w[++i];
		else
			return "an option l4lb has no equivalent for";
	}
	if (!nat)
		return "only masquerading (-m, NAT) real servers have an equivalent in l4lb";
	return NULL;
}

/* A threshold: 0 to L4LB_CONNS_LIMIT_MAX; false if not one. */
static bool threshold(const char *s, unsigned long *v)
{
	char *end;

	*v = 0;
	if (!s)
		return true;
	*v = strtoul(s, &end, 10);
	return !*end && end != s && *s != '-' && *v <= L4LB_CONNS_LIMIT_MAX;
}

/* Why -x and -y have no equivalent (none if IPVS takes them). */
static const char *thresholds(const struct rs_opts *o, unsigned long *max,
			      unsigned long *min)
{
	if (!threshold(o->max, max) || !threshold(o->min, min))
		return "a connection threshold (-x, -y) is 0 to 67108864 in l4lb";
	/* IPVS refuses a lower threshold above the upper one alike. */
	if (*min > *max)
		return "a lower threshold (-y) above the upper one (-x)";
	return NULL;
}

/*
 * "-a -t VIP:PORT -r RIP:PORT -m [-w W] [-x U -y L]", or -e: the same,
 * the backend changed (weight and thresholds, as ipvsadm -e sets them).
 */
static void add_backend(struct ipvs *im, int no, int argc, char **w,
			bool edit)
{
	struct rs_opts o = { .weight = "1" };
	unsigned long v, max = 0, min = 0;
	char svc[80], rs[80];
	struct addr a, va;
	const char *why;
	uint16_t port;
	size_t len;

	/* Its service was refused: named once, on its own line. */
	if (im->have_svc && im->svc_refused)
		return;
	if (argc < 3 || !service_words(im, no, w[1], w[2], svc, sizeof(svc),
				       &va))
		return;
	why = backend_options(argc, w, &o);
	if (!why && strcmp(svc, im->svc))
		why = "a real server of a service not defined on the lines before";
	/* Port 0: the packet's port, a backend by address alone. */
	len = o.rs ? strlen(o.rs) : 0;
	if (len > 2 && len < sizeof(rs) && !strcmp(o.rs + len - 2, ":0")) {
		snprintf(rs, sizeof(rs), "%.*s", (int)(len - 2), o.rs);
		o.rs = rs;
	}
	if (!why && (!o.rs || !parse_be_addr(o.rs, &a, &port)))
		why = "the real server is not ADDRESS:PORT";
	if (!why && port && strstr(im->svc, ":*"))
		why = "a real server with a port on a port 0 service: l4lb's every-port service keeps each flow's port (give the real server port 0)";
	if (!why && !port)
		o.rs = fmt_addr(&a);
	if (!why)
		why = import_family(&a, &va);
	if (!why)
		why = import_udp(&im->im, im->svc, &a, port);
	if (!why)
		why = import_weight(o.weight, &v);
	if (!why)
		why = thresholds(&o, &max, &min);
	if (why) {
		refuse(im, no, why);
		return;
	}
	fprintf(im->im.mem, "backend %s %s %s weight %lu", edit ? "set" : "add",
		im->svc, o.rs, v);
	/* An edit sets both, as ipvsadm -e does: absent is 0. */
	if (max || edit)
		fprintf(im->im.mem, " max-conns %lu", max);
	if (min)
		fprintf(im->im.mem, " min-conns %lu", min);
	fputc('\n', im->im.mem);
}

int cmd_import_ipvsadm(struct nl *nl, int argc, char **argv)
{
	struct ipvs im = { 0 };
	char *text = NULL, *w[MAX_WORDS], *save, *p;
	bool apply = false;
	size_t len = 0;
	FILE *in = stdin;
	int no = 0, n;

	if (argc && !strcmp(argv[0], "apply"))
		apply = true, argc--, argv++;
	if (argc > 1)
		fail("import-ipvsadm takes one file at most (standard input without)");
	if (argc && strcmp(argv[0], "-")) {
		in = fopen(argv[0], "r");
		if (!in)
			fail("import-ipvsadm: %s: %s", argv[0], strerror(errno));
	}
	import_start(&im.im, "import-ipvsadm");
	while (getline(&text, &len, in) > 0) {
		no++;
		n = 0;
		for (p = strtok_r(text, " \t\n", &save); p && n < MAX_WORDS;
		     p = strtok_r(NULL, " \t\n", &save))
			w[n++] = p;
		if (!n || w[0][0] == '#')
			continue;
		if (!strcmp(w[0], "-A") || !strcmp(w[0], "--add-service"))
			add_service(&im, no, n, w);
		else if (!strcmp(w[0], "-a") || !strcmp(w[0], "--add-server"))
			add_backend(&im, no, n, w, false);
		else if (!strcmp(w[0], "-e") || !strcmp(w[0], "--edit-server"))
			add_backend(&im, no, n, w, true);
		else
			refuse(&im, no, "not a line of ipvsadm-save (-A or -a) nor an -e");
	}
	free(text);
	if (in != stdin)
		fclose(in);
	if (import_refused(&im.im, apply))
		return 1;
	return import_end(nl, &im.im, apply);
}
