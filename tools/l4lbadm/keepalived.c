// SPDX-License-Identifier: GPL-2.0
/*
 * import-keepalived [apply] FILE [healthd OUT]: keepalived.conf's LVS part
 * (its virtual_server blocks) as l4lbadm's lines, printed or with "apply"
 * restored (all or nothing, as restore), and its checkers as healthd's
 * check lines: written to OUT, or printed after the l4lbadm lines. What
 * l4lb has no equivalent for is named, one line each (FILE:LINE:
 * KEYWORD: why) on stderr, and nothing is printed, applied or written.
 *
 * The tables below say what becomes of every keyword of each block; a
 * keyword with a refusal and no function is one l4lb lacks (some only yet:
 * giving it a function is all it takes). The checkers are in
 * keepalived_check.c. VRRP, BFD, static addresses and routes, scripts and
 * global_defs (but its lvs_ keywords) are keepalived's own: it goes on
 * doing them beside l4lb, so they are passed over in silence.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keepalived.h"

/* IPVS's default UDP timeout, which a UDP virtual server had. */
#define IPVS_UDP_TIMEOUT	300

/* Unknown keywords: refused, or (top level, global_defs) passed over. */
static const char unknown[] = "not known to import-keepalived: no equivalent in l4lb";

void ka_refuse(struct ka *ka, const struct ka_node *n, const char *why)
{
	import_refuse(&ka->im, n->file, n->line, "%s: %s", n->kw, why);
}

/* The keyword's one value, or NULL (refused). */
const char *ka_arg(struct ka *ka, const struct ka_node *n)
{
	if (n->nargs == 1 && !n->block)
		return n->arg[0];
	ka_refuse(ka, n, "takes one value");
	return NULL;
}

/* A number from @min to @max (@whole: no fraction), or -1 (refused). */
static double number(struct ka *ka, const struct ka_node *n, double min,
		     double max, bool whole)
{
	const char *s = ka_arg(ka, n);
	char *end, why[64];
	double v;

	if (!s)
		return -1;
	v = strtod(s, &end);
	if (!*end && end != s && v >= min && v <= max &&
	    (!whole || strspn(s, "0123456789") == strlen(s)))
		return v;
	snprintf(why, sizeof(why), whole ? "is a count from %g to %g here" :
		 "is seconds from %g to %g here", min, max);
	ka_refuse(ka, n, why);
	return -1;
}

/* Seconds (keepalived's TIMER: fractions allowed), or -1 (refused). */
double ka_seconds(struct ka *ka, const struct ka_node *n, double max)
{
	return number(ka, n, 0.01, max, false);
}

/* A count from 0 to @max, or -1 (refused). */
long ka_count(struct ka *ka, const struct ka_node *n, long max)
{
	return number(ka, n, 0, max, true);
}

/* PORT of "ADDRESS PORT": 1 to 65535, or 0. */
static unsigned long port_of(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	return *end || end == s || v > 65535 ? 0 : v;
}

/* Each statement of @n through the first of @tables that names it. */
void ka_walk(struct ka *ka, const struct ka_node *n,
	     const struct ka_kw *const *tables, bool pass_unknown)
{
	const struct ka_kw *const *t;
	const struct ka_kw *e;

	for (; n; n = n->next) {
		for (t = tables, e = NULL; *t && !e; t++) {
			for (e = *t; e->name && strcmp(e->name, n->kw); e++)
				;
			if (!e->name)
				e = NULL;
		}
		if (!e) {
			if (!pass_unknown)
				ka_refuse(ka, n, unknown);
		} else if (e->map) {
			e->map(ka, n, e);
		} else if (e->refused) {
			ka_refuse(ka, n, e->refused);
		}
	}
}

/* Accepted when off ("no", "false", "off", "0"), else refused. */
void ka_only_off(struct ka *ka, const struct ka_node *n,
		 const struct ka_kw *e)
{
	const char *v = n->nargs ? n->arg[0] : "";

	if (strcmp(v, "no") && strcmp(v, "false") && strcmp(v, "off") &&
	    strcmp(v, "0"))
		ka_refuse(ka, n, e->refused);
}

/* Timings: at virtual server, real server or checker, inherited down. */
static void t_delay_loop(struct ka *ka, const struct ka_node *n,
			 const struct ka_kw *e)
{
	(void)e;
	ka->t->delay_loop = ka_seconds(ka, n, 3600);
}

static void t_connect_timeout(struct ka *ka, const struct ka_node *n,
			      const struct ka_kw *e)
{
	(void)e;
	ka->t->connect_timeout = ka_seconds(ka, n, 3600);
}

static void t_retry(struct ka *ka, const struct ka_node *n,
		    const struct ka_kw *e)
{
	(void)e;
	/* healthd's fall is 100 at most: a try and 99 retries. */
	ka->t->retry = ka_count(ka, n, 99);
}

const struct ka_kw ka_timing_kw[] = {
	{ "delay_loop", t_delay_loop, NULL },
	{ "connect_timeout", t_connect_timeout, NULL },
	{ "retry", t_retry, NULL },
	{ "nb_get_retry", t_retry, NULL },
	/* healthd retries at its interval, delay_loop: a failure is seen later. */
	{ "delay_before_retry", NULL, NULL },
	/* healthd's first check is at once: no random start. */
	{ "warmup", NULL, NULL },
	{ "alpha", ka_only_off, "l4lb starts a new backend up, not down until a check passes (no equivalent of alpha)" },
	{ "smtp_alert", ka_only_off, "healthd sends no mail (l4lbadm monitor prints every health change)" },
	{ "log_all_failures", NULL, NULL },
	{ "snmp_name", NULL, NULL },
	{ "inhibit_on_failure", NULL, NULL },	/* a down backend takes no new flow */
	{ "virtualhost", NULL, NULL },		/* read by the HTTP checks */
	{ NULL, NULL, NULL },
};

static const char nat_only_dr[] = "direct routing has no equivalent in l4lb (NAT only)";
static const char nat_only_tun[] = "tunnel forwarding has no equivalent in l4lb (NAT only)";

static void method(struct ka *ka, const struct ka_node *n,
		   const struct ka_kw *e)
{
	const char *v = n->nargs ? n->arg[0] : "";

	(void)e;
	if (!strcmp(v, "DR"))
		ka_refuse(ka, n, nat_only_dr);
	else if (!strcmp(v, "TUN"))
		ka_refuse(ka, n, nat_only_tun);
	else if (strcmp(v, "NAT") || n->nargs != 1)
		ka_refuse(ka, n, "is NAT, DR or TUN");
}

static void protocol(struct ka *ka, const struct ka_node *n,
		     const struct ka_kw *e)
{
	const char *v = ka_arg(ka, n);

	(void)e;
	if (!v)
		return;
	if (!strcmp(v, "TCP") || !strcmp(v, "UDP"))
		ka->vs.proto = !strcmp(v, "TCP") ? "tcp" : "udp";
	else if (!strcmp(v, "SCTP"))
		ka_refuse(ka, n, "SCTP services have no equivalent in l4lb (TCP and UDP only)");
	else
		ka_refuse(ka, n, "is TCP, UDP or SCTP");
}

static void sched(struct ka *ka, const struct ka_node *n,
		  const struct ka_kw *e)
{
	const char *v = ka_arg(ka, n), *why;

	(void)e;
	if (!v)
		return;
	why = import_sched(v);
	if (why)
		ka_refuse(ka, n, why);
	else
		ka->vs.sched = v;
}

static void ops(struct ka *ka, const struct ka_node *n, const struct ka_kw *e)
{
	(void)e;
	ka->vs.stateless = n;
}

static void hash_port(struct ka *ka, const struct ka_node *n,
		      const struct ka_kw *e)
{
	(void)n, (void)e;
	ka->vs.hash_port = true;
}

/* persistence_timeout [T]: keepalived's default is 360 s. */
static void persistence(struct ka *ka, const struct ka_node *n,
			const struct ka_kw *e)
{
	const char *why;

	(void)e;
	ka->vs.persist = 360;
	if (n->nargs) {
		why = import_persist(n->arg[0], &ka->vs.persist);
		if (why)
			ka_refuse(ka, n, why);
	}
}

static void granularity(struct ka *ka, const struct ka_node *n,
			const struct ka_kw *e)
{
	(void)e;
	if (ka_arg(ka, n))
		ka->vs.granularity = n;
}

static void real_server(struct ka *ka, const struct ka_node *n,
			const struct ka_kw *e)
{
	(void)e;
	ka->vs.rs = realloc(ka->vs.rs, (ka->vs.n_rs + 1) * sizeof(*ka->vs.rs));
	if (!ka->vs.rs)
		fail("out of memory");
	ka->vs.rs[ka->vs.n_rs++] = n;
}

static void sorry_server(struct ka *ka, const struct ka_node *n,
			 const struct ka_kw *e)
{
	(void)e;
	ka->vs.sorry = n;
}

/* Accepted at its default (quorum 1, hysteresis 0), else refused. */
static void quorum(struct ka *ka, const struct ka_node *n,
		   const struct ka_kw *e)
{
	const char *v = ka_arg(ka, n);

	if (v && strcmp(v, strcmp(n->kw, "quorum") ? "0" : "1"))
		ka_refuse(ka, n, e->refused);
}

static const char hooks[] = "healthd runs no command when health changes (l4lbadm monitor prints every change, for a script to follow)";

/* The statements of a virtual_server block. */
static const struct ka_kw vs_kw[] = {
	{ "protocol", protocol, NULL },
	{ "lb_algo", sched, NULL },
	{ "lvs_sched", sched, NULL },
	{ "lb_kind", method, NULL },
	{ "lvs_method", method, NULL },
	{ "real_server", real_server, NULL },
	{ "ops", ops, NULL },
	{ "sh-port", hash_port, NULL },
	{ "mh-port", hash_port, NULL },
	{ "flag-2", hash_port, NULL },		/* sh-port, mh-port */
	/* l4lb hashes over the usable backends only. */
	{ "sh-fallback", NULL, NULL },
	{ "mh-fallback", NULL, NULL },
	{ "flag-1", NULL, NULL },
	{ "flag-3", NULL, "this scheduler flag has no equivalent in l4lb" },
	{ "ha_suspend", NULL, NULL },		/* healthd checks all along */
	{ "ip_family", NULL, NULL },		/* the address says it */
	{ "quorum", quorum, "l4lb has no quorum (healthd's announce VIP dev DEV min-up N withdraws a VIP's route below N usable backends: write it by hand)" },
	{ "hysteresis", quorum, "l4lb has no quorum" },
	{ "quorum_up", NULL, hooks },
	{ "quorum_down", NULL, hooks },
	{ "omega", NULL, hooks },
	{ "persistence_timeout", persistence, NULL },
	{ "persistence_granularity", granularity, NULL },
	{ "persistence_engine", NULL, "persistence engines have no equivalent in l4lb" },
	{ "sorry_server", sorry_server, NULL },	/* the fallback server */
	/* l4lb's fallback takes no flow while a backend is usable. */
	{ "sorry_server_inhibit", NULL, NULL },
	{ "sorry_server_lvs_method", method, NULL },
	{ NULL, NULL, NULL },
};

static void weight(struct ka *ka, const struct ka_node *n,
		   const struct ka_kw *e)
{
	const char *v = ka_arg(ka, n), *why;

	(void)e;
	if (!v)
		return;
	why = import_weight(v, &ka->rs.weight);
	if (why)
		ka_refuse(ka, n, why);
}

/* uthreshold N, lthreshold N: max-conns and min-conns, as with IPVS. */
static void threshold(struct ka *ka, const struct ka_node *n,
		      const struct ka_kw *e)
{
	long v = ka_count(ka, n, L4LB_CONNS_LIMIT_MAX);

	if (v < 0)
		return;
	if (!strcmp(e->name, "uthreshold"))
		ka->rs.max_conns = v;
	else
		ka->rs.min_conns = v;
}

/*
 * " max-conns N min-conns M" of the thresholds, the lower one written out
 * as the kernel stores its default (three quarters, rounded up), so that
 * save prints the line back; "" without; NULL (refused) if they make none.
 */
static const char *limits(struct ka *ka, const struct ka_node *n, char *buf,
			  size_t size)
{
	long max = ka->rs.max_conns, min = ka->rs.min_conns;

	*buf = 0;
	if (max <= 0 && min <= 0)
		return buf;
	if (max <= 0) {
		ka_refuse(ka, n, "lthreshold without uthreshold: l4lb's min-conns needs a max-conns");
		return NULL;
	}
	if (ka->vs.stateless) {
		ka_refuse(ka, n, "connection thresholds on a one-packet (ops) virtual server: l4lb keeps no flows there to count");
		return NULL;
	}
	if (min > max) {
		ka_refuse(ka, n, "lthreshold above uthreshold");
		return NULL;
	}
	snprintf(buf, size, " max-conns %ld min-conns %ld", max,
		 min > 0 ? min : max - (max >> 2));
	return buf;
}

static void checker(struct ka *ka, const struct ka_node *n,
		    const struct ka_kw *e)
{
	(void)e;
	if (ka->rs.check)
		ka_refuse(ka, n, "a second checker: healthd runs one check a backend");
	else if (!n->block)
		ka_refuse(ka, n, "a checker is a block");
	else
		ka->rs.check = n;
}

static const char other_check[] = "this checker has no equivalent in healthd yet (connect, udp, exec: write an exec check)";

/* The statements of a real_server block. */
static const struct ka_kw rs_kw[] = {
	{ "weight", weight, NULL },
	{ "lb_kind", method, NULL },
	{ "lvs_method", method, NULL },
	{ "TCP_CHECK", checker, NULL },
	{ "HTTP_GET", checker, NULL },
	{ "SSL_GET", checker, NULL },
	{ "MISC_CHECK", checker, NULL },
	{ "SMTP_CHECK", NULL, other_check },
	{ "DNS_CHECK", NULL, other_check },
	{ "UDP_CHECK", NULL, other_check },
	{ "PING_CHECK", NULL, other_check },
	{ "FILE_CHECK", NULL, other_check },
	{ "BFD_CHECK", NULL, other_check },
	{ "notify_up", NULL, hooks },
	{ "notify_down", NULL, hooks },
	{ "uthreshold", threshold, NULL },	/* max-conns */
	{ "lthreshold", threshold, NULL },	/* min-conns */
	{ NULL, NULL, NULL },
};

/* keepalived's defaults: what no level said. */
static const struct ka_timing no_timing = {
	.delay_loop = -1, .connect_timeout = -1, .retry = -1,
};

/* "VHOST" of a block's virtualhost, or @dflt. */
static const char *virtualhost(const struct ka_node *n, const char *dflt)
{
	for (n = n->child; n; n = n->next)
		if (!strcmp(n->kw, "virtualhost") && n->nargs == 1)
			return n->arg[0];
	return dflt;
}

/*
 * "ADDRESS [PORT]" of a real or sorry server (@block: with its block) in
 * @a and @port (the virtual server's without); false if refused.
 */
static bool server(struct ka *ka, const struct ka_node *n, bool block,
		   struct addr *a, unsigned long *port)
{
	const char *why = NULL;

	*port = ka->vs.port;
	if (n->nargs < 1 || n->nargs > 2 || n->block != block)
		why = block ? "is real_server ADDRESS [PORT] { ... }" :
		      "is sorry_server ADDRESS [PORT]";
	else if (!parse_addr(n->arg[0], a))
		why = "the address is not an IP address";
	/* Port 0: the port each client asked for (an address alone). */
	if (!why && n->nargs == 2 && strcmp(n->arg[1], "0") &&
	    !(*port = port_of(n->arg[1])))
		why = "the port is 0 (the client's) or 1 to 65535";
	else if (!why && n->nargs == 2 && !strcmp(n->arg[1], "0"))
		*port = 0;
	if (!why && *port && !ka->vs.port)
		why = "a server with a port on a virtual server of every port: l4lb keeps each flow's port (omit the port, or give 0)";
	if (!why)
		why = import_family(a, &ka->vs.addr);
	if (why)
		ka_refuse(ka, n, why);
	return !why;
}

/* real_server IP [PORT] { ... }: a backend line, and its check's. */
static void backend(struct ka *ka, const struct ka_node *n, const char *svc)
{
	static const struct ka_kw *const tables[] = { rs_kw, ka_timing_kw, NULL };
	unsigned long port;
	const char *why;
	char lim[64];
	struct addr a;

	memset(&ka->rs, 0, sizeof(ka->rs));
	ka->rs.weight = 1;
	ka->rs.max_conns = -1;
	ka->rs.min_conns = -1;
	ka->rs.t = ka->vs.t;
	ka->rs.vhost = virtualhost(n, ka->vs.vhost);
	ka->t = &ka->rs.t;
	if (!server(ka, n, true, &a, &port))
		return;
	ka_walk(ka, n->child, tables, false);
	why = import_udp(&ka->im, svc, &a, port);
	if (why) {
		ka_refuse(ka, n, why);
		return;
	}
	snprintf(ka->rs.name, sizeof(ka->rs.name), "%s",
		 fmt_addr_port(&a, port));
	ka->rs.addr = a;
	ka->rs.port = port;
	/* Refused, its checker's refusals are named all the same. */
	if (limits(ka, n, lim, sizeof(lim)))
		fprintf(ka->im.mem, "backend add %s %s weight %lu%s\n", svc,
			ka->rs.name, ka->rs.weight, lim);
	if (ka->rs.check)
		ka_check(ka, ka->rs.check, svc);
}

/* virtual_server IP PORT { ... }: a service line, its backends'. */
static void virtual_server(struct ka *ka, const struct ka_node *n,
			   const struct ka_kw *e)
{
	static const struct ka_kw *const tables[] = { vs_kw, ka_timing_kw, NULL };
	const char *why = NULL;
	unsigned int prefix = 0;
	unsigned long port = 0;
	struct addr sorry;
	char svc[80];
	size_t i;

	(void)e;
	free(ka->vs.rs);
	memset(&ka->vs, 0, sizeof(ka->vs));
	ka->vs.sched = "wlc";		/* IPVS's */
	ka->vs.t = no_timing;
	ka->t = &ka->vs.t;
	if (n->nargs >= 1 && !strcmp(n->arg[0], "fwmark"))
		why = "firewall-mark services have no equivalent in l4lb (the firewall's rules choose their packets): a mark over ports of one address is a port range, virtual_server ADDRESS with no port for every port";
	else if (n->nargs >= 1 && !strcmp(n->arg[0], "group"))
		why = "virtual server groups have no equivalent in l4lb yet";
	else if ((n->nargs != 1 && n->nargs != 2) || !n->block)
		why = "is virtual_server ADDRESS [PORT] { ... }";
	else if (!parse_addr(n->arg[0], &ka->vs.addr))
		why = "the address is not an IP address";
	/* No port, or port 0: every port (l4lb's VIP:*). */
	if (!why && n->nargs == 2 && strcmp(n->arg[1], "0") &&
	    !(port = port_of(n->arg[1])))
		why = "the port is 1 to 65535 (0 or none: every port)";
	if (why) {
		ka_refuse(ka, n, why);
		return;
	}
	ka->vs.port = port;
	ka->vs.vhost = virtualhost(n, NULL);
	ka_walk(ka, n->child, tables, false);
	if (!ka->vs.proto) {
		ka_refuse(ka, n, "no protocol (keepalived 2 takes UDP, 1.x TCP): say protocol TCP or UDP");
		return;
	}
	if (ka->vs.stateless && strcmp(ka->vs.proto, "udp")) {
		ka_refuse(ka, ka->vs.stateless, "one-packet scheduling is for UDP services");
		return;
	}
	if (ka->vs.persist && ka->vs.stateless) {
		ka_refuse(ka, ka->vs.stateless, "persistence needs sessions, and one-packet scheduling keeps none");
		return;
	}
	/* A granularity without a timeout: keepalived persists nothing. */
	if (ka->vs.persist && ka->vs.granularity) {
		why = import_netmask(ka->vs.granularity->arg[0], &ka->vs.addr,
				     &prefix);
		if (why) {
			ka_refuse(ka, ka->vs.granularity, why);
			return;
		}
	}
	snprintf(svc, sizeof(svc), "%s %s", ka->vs.proto,
		 port ? fmt_addr_port(&ka->vs.addr, port) :
		 fmt_svc_addr(&(struct svc_id){ .addr = ka->vs.addr, .port = 1,
						.last = 65535 }));
	fprintf(ka->im.mem, "service add %s sched %s", svc, ka->vs.sched);
	if (!strcmp(ka->vs.proto, "udp"))
		fprintf(ka->im.mem, " timeout %u", ka->udp_timeout);
	fprintf(ka->im.mem, "%s%s", ka->vs.stateless ? " stateless" : "",
		ka->vs.hash_port ? " hash-port" : "");
	import_print_persist(ka->im.mem, ka->vs.persist, prefix, &ka->vs.addr);
	/* As import-ipvsadm: IPVS balances the director's own processes. */
	if (!ka->vs.stateless)
		fputs(" local-clients", ka->im.mem);
	fputc('\n', ka->im.mem);
	for (i = 0; i < ka->vs.n_rs; i++)
		backend(ka, ka->vs.rs[i], svc);
	if (!ka->vs.sorry || !server(ka, ka->vs.sorry, false, &sorry, &port))
		return;
	why = import_udp(&ka->im, svc, &sorry, port);
	if (why)
		ka_refuse(ka, ka->vs.sorry, why);
	else
		fprintf(ka->im.mem, "service set %s fallback %s\n", svc,
			fmt_addr_port(&sorry, port));
}

/* global_defs: keepalived's, but for IPVS's own settings. */
static const struct ka_kw global_kw[] = {
	{ "lvs_sync_daemon", NULL, "l4lb has no connection sync between balancers (behind ECMP, sh and mh adopt each other's flows: Documentation/ecmp.md)" },
	{ "lvs_timeouts", NULL, "IPVS's timeouts are not imported yet (l4lbadm set timeout-established, timeout-fin-wait; a UDP service's timeout)" },
	{ NULL, NULL, NULL },
};

static void global_defs(struct ka *ka, const struct ka_node *n,
			const struct ka_kw *e)
{
	static const struct ka_kw *const tables[] = { global_kw, NULL };

	(void)e;
	ka_walk(ka, n->child, tables, true);
}

/* The top level: what is not about IPVS is keepalived's. */
static const struct ka_kw top_kw[] = {
	{ "virtual_server", virtual_server, NULL },
	{ "virtual_server_group", NULL, "virtual server groups have no equivalent in l4lb yet" },
	{ "global_defs", global_defs, NULL },
	{ NULL, NULL, NULL },
};

/*
 * OUT.new, while it is not renamed over OUT: removed at any exit of this
 * process (not of restore's children, which exit through the same atexit).
 */
static char *pending;
static pid_t pending_pid;

static void remove_pending(void)
{
	if (pending && getpid() == pending_pid)
		unlink(pending);
}

/* OUT's new text in OUT.new; renamed over OUT once all went well. */
static char *write_checks(const char *out, const char *text)
{
	char *tmp;
	FILE *f;

	if (asprintf(&tmp, "%s.new", out) < 0)
		fail("out of memory");
	pending = tmp;
	pending_pid = getpid();
	atexit(remove_pending);
	f = fopen(tmp, "w");
	if (!f) {
		pending = NULL;
		fail("import-keepalived: %s: %s", tmp, strerror(errno));
	}
	fprintf(f, "# l4lbadm healthd checks, from keepalived.conf's checkers (l4lbadm import-keepalived)\n%s",
		text);
	if (fclose(f)) {
		unlink(tmp);
		fail("import-keepalived: %s: %s", tmp, strerror(errno));
	}
	return tmp;
}

int cmd_import_keepalived(struct nl *nl, int argc, char **argv)
{
	static const struct ka_kw *const tables[] = { top_kw, NULL };
	const char *file, *out = NULL;
	struct ka ka = { .udp_timeout = IPVS_UDP_TIMEOUT };
	struct ka_node *top;
	bool apply = false;
	char *tmp = NULL;
	int rc;

	if (argc && !strcmp(argv[0], "apply"))
		apply = true, argc--, argv++;
	if (argc == 3 && !strcmp(argv[1], "healthd"))
		out = argv[2];
	else if (argc != 1)
		fail("import-keepalived [apply] FILE [healthd OUT]");
	file = argv[0];
	import_start(&ka.im, "import-keepalived");
	ka.checks = open_memstream(&ka.checks_out, &ka.checks_len);
	if (!ka.checks)
		fail("out of memory");
	top = ka_parse(&ka.im, file);
	if (!ka.im.errors)
		ka_walk(&ka, top, tables, true);
	ka_free(top);
	free(ka.vs.rs);
	fclose(ka.checks);
	if (import_refused(&ka.im, apply)) {
		free(ka.checks_out);
		return 1;
	}
	if (out)
		tmp = write_checks(out, ka.checks_out);
	rc = import_end(nl, &ka.im, apply);
	if (tmp && !rc && rename(tmp, out))
		fail("import-keepalived: %s: %s", out, strerror(errno));
	pending = rc ? pending : NULL;
	if (!out && !rc)
		fputs(ka.checks_out, stdout);
	free(tmp);
	free(ka.checks_out);
	return rc;
}
