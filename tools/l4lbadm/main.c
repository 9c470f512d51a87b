// SPDX-License-Identifier: GPL-2.0
/*
 * l4lbadm: configure the l4lb load balancer. Parses the command line, hands
 * each verb to its file and turns every failure into one line on stderr and
 * a non-zero exit.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/l4lb.h>

#include "../../kmod/version.h"
#include "l4lbadm.h"

/* The tool and the module are released together, from one version.h. */
#define L4LBADM_VERSION L4LB_VERSION

bool json;
bool dry_run;
bool timestamps;
const char *prog = "l4lbadm";

static const char usage[] =
"Usage: l4lbadm [-j|--json] [-t|--timestamp] COMMAND ...\n"
"\n"
"Services (PROTO is tcp or udp, VIP:PORT like 10.0.0.1:5432 or, for IPv6,\n"
"[2001:db8::1]:443; a service's backends are of its family):\n"
"  l4lbadm service add PROTO VIP:PORT [sched SCHED] [timeout SECONDS]\n"
"                                  [stateless] [hash-port]\n"
"                                  [persist SECONDS [netmask PREFIX]]\n"
"                                  [local-clients]\n"
"  l4lbadm service set PROTO VIP:PORT fallback ADDRESS:PORT|none\n"
"                                  the sorry server: new flows while no\n"
"                                  backend is usable (none: no more)\n"
"  l4lbadm service set PROTO VIP:PORT persist SECONDS|off [netmask PREFIX]\n"
"                                  a client (its network under the\n"
"                                  netmask) keeps its backend until\n"
"                                  SECONDS after its last flow ended\n"
"  l4lbadm service set PROTO VIP:PORT local-clients on|off\n"
"                                  processes on this machine reaching the\n"
"                                  VIP are balanced too (as with IPVS)\n"
"  l4lbadm service del PROTO VIP:PORT\n"
"  l4lbadm service show [PROTO VIP:PORT]\n"
"  l4lbadm list                    every service with its backends\n"
"\n"
"Backends (weight 0 to 1000, default 1; 0 drains: no new flows; a backend\n"
"with max-conns flows takes no new one until it has fewer than min-conns,\n"
"default max-conns - max-conns / 4; 0 is no limit, as ipvsadm -x and -y):\n"
"  l4lbadm backend add PROTO VIP:PORT ADDRESS:PORT [weight N]\n"
"                                  [max-conns N [min-conns M]]\n"
"  l4lbadm backend set PROTO VIP:PORT ADDRESS:PORT [weight N]\n"
"                                  [max-conns N] [min-conns M]\n"
"  l4lbadm backend del PROTO VIP:PORT ADDRESS:PORT\n"
"  l4lbadm backend leave PROTO VIP:PORT ADDRESS:PORT [timeout S]\n"
"                                  drain, wait for its flows to end (60 s at\n"
"                                  most), delete: a server leaving gracefully\n"
"                                  (UDP sessions move to other backends)\n"
"  l4lbadm backend set PROTO VIP:PORT ADDRESS:PORT health up|down\n"
"                                  [check TEXT]  a health checker's verdict\n"
"  l4lbadm backend pick PROTO VIP:PORT CLIENT[:PORT]...\n"
"                                  the backend each client's flow has, or\n"
"                                  sh's or mh's choice for it (ECMP: every\n"
"                                  balancer must print the same)\n"
"\n"
"Flows (the connection and session tables; a filter names a service, and\n"
"maybe one of its backends, or a deleted one whose flows live on):\n"
"  l4lbadm flows [PROTO VIP:PORT [ADDRESS:PORT]]\n"
"  l4lbadm flush [PROTO VIP:PORT [ADDRESS:PORT]]  remove flows: their next\n"
"                                  packets are scheduled afresh (TCP: dropped,\n"
"                                  but adopted by sh and mh)\n"
"\n"
"Counters (flows created, packets and bytes each way, drops by reason):\n"
"  l4lbadm stats [-o text|json|prometheus] [PROTO VIP:PORT]\n"
"                                  prometheus: for node_exporter's textfile\n"
"                                  collector\n"
"\n"
"Changes as they happen, printed as the commands that make them:\n"
"  l4lbadm monitor\n"
"\n"
"Settings of the namespace (seconds; flows in the table at most; what\n"
"happens to the TCP flows of a backend that is down: go on, dropped, or\n"
"reset at the client's next packet; UDP sessions always move):\n"
"  l4lbadm settings\n"
"  l4lbadm set [max-flows N] [timeout-syn S] [timeout-established S]\n"
"              [timeout-fin-wait S] [timeout-closing S]\n"
"              [down-flows keep|drop|reset] [hash-seed N]\n"
"\n"
"Health checks (a daemon; see l4lbadm(8) for FILE's lines):\n"
"  l4lbadm healthd FILE            check backends, mark them down and up;\n"
"                                  announce VIPs while they can be served\n"
"  l4lbadm drain [quiet S] [timeout S]  have healthd withdraw every VIP, then\n"
"                                  wait until no new flow comes for S (5 s;\n"
"                                  120 s at most): the router moved away\n"
"  l4lbadm undrain                 have healthd announce them again\n"
"\n"
"Configuration as commands (one per line, without \"l4lbadm\"):\n"
"  l4lbadm save                    print settings, services and backends\n"
"  l4lbadm restore [FILE]          replay them (standard input without FILE);\n"
"                                  all or nothing: on an error, what was\n"
"                                  applied is undone\n"
"\n"
"Migration from IPVS and keepalived (NAT services; what has no equivalent\n"
"is named, one line each, and nothing is done):\n"
"  l4lbadm import-ipvsadm [apply] [FILE]  ipvsadm-save -n output (standard\n"
"                                  input without FILE) as l4lbadm lines, or\n"
"                                  applied at once, all or nothing\n"
"  l4lbadm import-keepalived [apply] FILE [healthd OUT]\n"
"                                  keepalived.conf's virtual servers as\n"
"                                  l4lbadm lines (or applied, all or nothing),\n"
"                                  their checkers as healthd check lines: to\n"
"                                  OUT, or printed after the l4lbadm lines\n"
"                                  (split them with grep '^check ')\n"
"\n"
"Other:\n"
"  l4lbadm version                 l4lbadm's and the module's versions\n"
"  l4lbadm help                    this text\n"
"\n"
"timeout: seconds a UDP session lives without packets (1-3600, 60)\n"
"stateless: UDP only, no session table: every datagram is scheduled\n"
"hash-port: sh and mh hash the client's port too (TCP or stateless UDP)\n"
"local-clients: balance this machine's own processes too (not stateless)\n"
"SCHED: rr (round robin, default for tcp), wrr (weighted round robin),\n"
"       lc (least connections), wlc (weighted least connections),\n"
"       sh (source address hash, default for udp), mh (Maglev hashing)\n"
"\n"
"-j, --json  print what a command reads as JSON\n"
"-t, --timestamp  monitor: each line after the time it arrived (UTC)\n"
"Every command needs CAP_NET_ADMIN and acts on the current network\n"
"namespace. See l4lbadm(8).\n";

/* @v with room for one more of @n elements of @size (@cap: its room). */
void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? 2 * *cap : 16;
	v = realloc(v, *cap * size);
	if (!v)
		fail("out of memory");
	return v;
}

/* One line on stderr: "l4lbadm: [WHAT: ]message". */
void vsay(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	if (what)
		fprintf(stderr, "%s: ", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/* One line: what failed, then the kernel's own words where it gave some. */
void fail_nl(struct nl *nl, const char *what)
{
	int err = errno;

	/* The kernel's reason first: a limit refused is EPERM too. */
	if (nl->ext_msg[0])
		fail("%s: %s", what, nl->ext_msg);
	if (err == EPERM || err == EACCES)
		fail("%s: permission denied (l4lb needs CAP_NET_ADMIN)", what);
	fail("%s: %s", what, strerror(err));
}

void open_family(struct nl *nl)
{
	if (nl_open(nl) == 0)
		return;
	if (errno == ENOENT)
		fail("the l4lb module is not loaded (try: modprobe l4lb)");
	fail_nl(nl, "netlink");
}

static int version_cb(const struct nlmsghdr *nlh, void *data)
{
	const char **version = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == L4LB_A_VERSION &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			*version = strdup(mnl_attr_get_str(attr));
	}
	return MNL_CB_OK;
}

static int cmd_version(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const char *kversion = NULL;

	(void)argv;
	if (argc)
		fail("version takes no arguments");
	if (nl_talk(nl, nl_msg(nl, buf, L4LB_CMD_INFO_GET, 0), version_cb,
		    &kversion) < 0)
		fail_nl(nl, "version");
	if (!kversion)
		fail("version: the module did not say its version");
	if (json)
		printf("{\"l4lbadm\":\"%s\",\"module\":\"%s\"}\n",
		       L4LBADM_VERSION, kversion);
	else
		printf("l4lbadm %s\nl4lb module %s\n", L4LBADM_VERSION,
		       kversion);
	return 0;
}

/* @own_family: the command opens the family itself, when it needs to. */
static const struct {
	const char *name;
	int (*fn)(struct nl *nl, int argc, char **argv);
	bool own_family;
} commands[] = {
	{ "version", cmd_version, false },
	{ "service", cmd_service, false },
	{ "backend", cmd_backend, false },
	{ "list", cmd_list, false },
	{ "flows", cmd_flows, false },
	{ "settings", cmd_settings, false },
	{ "set", cmd_set, false },
	{ "save", cmd_save, false },
	{ "restore", cmd_restore, false },
	{ "flush", cmd_flush, false },
	{ "stats", cmd_stats, false },
	{ "monitor", cmd_monitor, false },
	{ "healthd", cmd_healthd, true },
	{ "drain", cmd_drain, true },
	{ "undrain", cmd_undrain, true },
	{ "import-ipvsadm", cmd_import_ipvsadm, true },
	{ "import-keepalived", cmd_import_keepalived, true },
};

/* Runs one command line (no options): the verb and its arguments. */
int run_command(int argc, char **argv)
{
	struct nl nl = { 0 };
	unsigned int i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		if (!dry_run && !commands[i].own_family)
			open_family(&nl);
		return commands[i].fn(&nl, argc - 1, argv + 1);
	}
	fail("unknown command '%s' (see l4lbadm --help)", argv[0]);
}

int main(int argc, char **argv)
{

	argc--, argv++;
	while (argc && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-j") || !strcmp(argv[0], "--json")) {
			json = true;
		} else if (!strcmp(argv[0], "-t") ||
			   !strcmp(argv[0], "--timestamp")) {
			timestamps = true;
		} else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			fputs(usage, stdout);
			return 0;
		} else {
			fail("unknown option '%s' (see l4lbadm --help)", argv[0]);
		}
		argc--, argv++;
	}
	if (!argc || !strcmp(argv[0], "help")) {
		fputs(usage, argc ? stdout : stderr);
		return argc ? 0 : 1;
	}
	return run_command(argc, argv);
}
