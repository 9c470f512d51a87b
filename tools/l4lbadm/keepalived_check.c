// SPDX-License-Identifier: GPL-2.0
/*
 * A real server's checker as one healthd check line:
 *
 *   TCP_CHECK            connect [port connect_port]
 *   HTTP_GET, SSL_GET    exec "curl ... | awk ...": every url's status
 *                        code among its status_code (200-299 if none)
 *   MISC_CHECK           exec "misc_path"
 *
 * interval is delay_loop (60 s), timeout connect_timeout (5 s; for
 * HTTP_GET and SSL_GET, each url's curl has it: the check has it once a
 * url), MISC_CHECK's misc_timeout (delay_loop); fall is retry + 1
 * (keepalived's try and its retries: retry is 1, MISC_CHECK's 0); rise 1,
 * as keepalived takes a server back at its first good check. healthd
 * retries at its interval, not after delay_before_retry: a server is found
 * down later than keepalived found it (by retry times delay_loop less
 * delay_before_retry).
 *
 * A digest (an MD5 of the page) is refused rather than dropped: a check
 * that would pass where keepalived's failed is worse than none named. So
 * are regular expressions on the page.
 */

#include <stdlib.h>
#include <string.h>

#include "keepalived.h"

#define CHECK_ARG_MAX	512	/* healthd's command (struct check's arg) */

enum ka_check_type { KC_TCP, KC_HTTP, KC_SSL, KC_MISC };

struct ka_chk {
	enum ka_check_type type;
	struct ka_timing t;
	unsigned long port;		/* connect_port; 0: the backend's */
	const char *vhost;
	const char *http;		/* curl's --http1.x, or "" */
	const struct ka_node **url;
	size_t n_url;
	const struct ka_node *misc;
	double misc_timeout;
};

/* ka_check's checker: handlers find it in ka->chk. */
static struct ka_chk *chk_of(struct ka *ka)
{
	return ka->chk;
}

static void connect_port(struct ka *ka, const struct ka_node *n,
			 const struct ka_kw *e)
{
	long v = ka_count(ka, n, 65535);

	(void)e;
	if (v == 0)
		ka_refuse(ka, n, "the port is 1 to 65535");
	else if (v > 0)
		chk_of(ka)->port = v;
}

static void url(struct ka *ka, const struct ka_node *n, const struct ka_kw *e)
{
	struct ka_chk *c = chk_of(ka);

	(void)e;
	if (!n->block) {
		ka_refuse(ka, n, "is a block");
		return;
	}
	c->url = realloc(c->url, (c->n_url + 1) * sizeof(*c->url));
	if (!c->url)
		fail("out of memory");
	c->url[c->n_url++] = n;
}

static void http_protocol(struct ka *ka, const struct ka_node *n,
			  const struct ka_kw *e)
{
	const char *v = ka_arg(ka, n);

	(void)e;
	if (!v)
		return;
	if (!strcmp(v, "1.0") || !strcmp(v, "1.0C"))
		chk_of(ka)->http = " --http1.0";
	else if (!strcmp(v, "1.1"))
		chk_of(ka)->http = " --http1.1";
	else
		ka_refuse(ka, n, "is 1.0, 1.0C or 1.1");
}

static void misc_path(struct ka *ka, const struct ka_node *n,
		      const struct ka_kw *e)
{
	(void)e;
	if (!n->nargs || n->block)
		ka_refuse(ka, n, "takes a command");
	else
		chk_of(ka)->misc = n;
}

static void misc_timeout(struct ka *ka, const struct ka_node *n,
			 const struct ka_kw *e)
{
	(void)e;
	chk_of(ka)->misc_timeout = ka_seconds(ka, n, 3600);
}

static const char elsewhere[] = "healthd checks the backend's own address (and a port of it), from the balancer's address";

/* Every checker's statements. */
static const struct ka_kw check_kw[] = {
	{ "connect_port", connect_port, NULL },
	{ "connect_ip", NULL, elsewhere },
	{ "bindto", NULL, elsewhere },
	{ "bind_port", NULL, elsewhere },
	{ "bind_if", NULL, elsewhere },
	{ "fwmark", NULL, elsewhere },
	{ NULL, NULL, NULL },
};

static const struct ka_kw tcp_kw[] = {
	{ NULL, NULL, NULL },
};

static const struct ka_kw http_kw[] = {
	{ "url", url, NULL },
	{ "http_protocol", http_protocol, NULL },
	{ "enable_sni", NULL, NULL },		/* curl sends the Host as SNI */
	{ "fast_recovery", NULL, NULL },	/* every url in one check */
	{ NULL, NULL, NULL },
};

static const struct ka_kw misc_kw[] = {
	{ "misc_path", misc_path, NULL },
	{ "misc_timeout", misc_timeout, NULL },
	{ "misc_dynamic", NULL, "healthd does not set weights from a command's exit status" },
	{ "user", NULL, "healthd runs commands as its own user" },
	{ NULL, NULL, NULL },
};

/* A url's statements: path and status_code make its curl. */
static const struct ka_kw url_kw[] = {
	{ "path", NULL, NULL },
	{ "status_code", NULL, NULL },
	{ "virtualhost", NULL, NULL },
	{ "digest", NULL, "a digest of the page is not checked by the curl command this makes (remove it to check the status code alone, or write an exec check with md5sum)" },
	{ "regex", NULL, "a regular expression on the page is not checked by the curl command this makes" },
	{ "regex_no_match", NULL, "a regular expression on the page is not checked by the curl command this makes" },
	{ "regex_options", NULL, NULL },
	{ "regex_stack", NULL, NULL },
	{ "regex_min_offset", NULL, NULL },
	{ "regex_max_offset", NULL, NULL },
	{ NULL, NULL, NULL },
};

/* What healthd would misread in a command: ", and %a, %p it expands. */
static bool unsafe(const char *s, const char *also)
{
	return strpbrk(s, also) || strchr(s, '"') || strstr(s, "%a") ||
	       strstr(s, "%p");
}

/* The statement @kw of @n's block (the last one), or NULL. */
static const struct ka_node *find(const struct ka_node *n, const char *kw)
{
	const struct ka_node *found = NULL;

	for (n = n->child; n; n = n->next)
		if (!strcmp(n->kw, kw))
			found = n;
	return found;
}

/* "200" or "200-299" in @lo and @hi; false if neither. */
static bool status_range(const char *s, unsigned int *lo, unsigned int *hi)
{
	char end;

	if (strspn(s, "0123456789-") != strlen(s))
		return false;
	if (sscanf(s, "%u-%u%c", lo, hi, &end) == 2)
		return *lo >= 100 && *lo <= *hi && *hi <= 599;
	if (sscanf(s, "%u%c", lo, &end) != 1)
		return false;
	*hi = *lo;
	return *lo >= 100 && *lo <= 599;
}

/* awk's test of c, the status code, for status_code's codes and ranges. */
static bool status_test(struct ka *ka, const struct ka_node *n, char *buf,
			size_t size)
{
	unsigned int lo, hi;
	size_t len = 0;
	int i;

	if (!n) {
		snprintf(buf, size, "c>=200&&c<=299");
		return true;
	}
	for (i = 0; i < n->nargs; i++) {
		if (!status_range(n->arg[i], &lo, &hi))
			break;
		len += snprintf(buf + len, len < size ? size - len : 0,
				lo == hi ? "%sc==%u" : "%sc>=%u&&c<=%u",
				i ? "||" : "", lo, hi);
	}
	if (!n->nargs || i < n->nargs || len >= size) {
		ka_refuse(ka, n, "is codes (100 to 599) or ranges of them (200-299)");
		return false;
	}
	return true;
}

/* One url's curl and awk, after @cmd's; false if refused. */
static bool url_command(struct ka *ka, struct ka_chk *c,
			const struct ka_node *u, char *cmd, size_t size)
{
	static const struct ka_kw *const tables[] = { url_kw, NULL };
	const struct ka_node *path = find(u, "path");
	const char *vhost = c->vhost, *host;
	char test[256], port[8];
	size_t len = strlen(cmd);
	int errors = ka->im.errors;

	ka_walk(ka, u->child, tables, false);
	if (find(u, "virtualhost") && find(u, "virtualhost")->nargs == 1)
		vhost = find(u, "virtualhost")->arg[0];
	if (!path || path->nargs != 1 || path->arg[0][0] != '/' ||
	    unsafe(path->arg[0], "'\\ \t")) {
		ka_refuse(ka, path ? path : u, "a url's path is /PATH, without quotes, backslashes, spaces, %a or %p");
		return false;
	}
	if (vhost && unsafe(vhost, "'\\ \t")) {
		ka_refuse(ka, u, "a virtualhost without quotes, backslashes, spaces, %a or %p");
		return false;
	}
	if (!status_test(ka, find(u, "status_code"), test, sizeof(test)) ||
	    ka->im.errors != errors)
		return false;
	host = ka->rs.addr.family == AF_INET6 ? "[%a]" : "%a";
	snprintf(port, sizeof(port), c->port ? "%lu" : "%%p", c->port);
	len += snprintf(cmd + len, len < size ? size - len : 0,
			"%scurl -gso /dev/null -m %g -w '%%{http_code}'%s%s%s%s%s '%s://%s:%s%s' | awk '{c=$1} END {exit !(%s)}'",
			len ? " && " : "", c->t.connect_timeout,
			c->type == KC_SSL ? " -k" : "", c->http,
			vhost ? " -H 'Host: " : "", vhost ? vhost : "",
			vhost ? "'" : "", c->type == KC_SSL ? "https" : "http",
			host, port, path->arg[0], test);
	return true;
}

/* The exec command of an HTTP_GET or SSL_GET, or of a MISC_CHECK. */
static bool command(struct ka *ka, struct ka_chk *c, const struct ka_node *n,
		    char *cmd, size_t size)
{
	size_t i, len = 0;
	int k;

	cmd[0] = '\0';
	if (c->type == KC_MISC) {
		if (!c->misc) {
			ka_refuse(ka, n, "no misc_path");
			return false;
		}
		for (k = 0; k < c->misc->nargs; k++)
			len += snprintf(cmd + len, len < size ? size - len : 0,
					"%s%s", k ? " " : "", c->misc->arg[k]);
		if (unsafe(cmd, "")) {
			ka_refuse(ka, c->misc, "healthd cannot quote a \" in a command, and expands %a and %p");
			return false;
		}
	} else {
		if (!c->n_url) {
			ka_refuse(ka, n, "no url");
			return false;
		}
		for (i = 0; i < c->n_url; i++)
			if (!url_command(ka, c, c->url[i], cmd, size))
				return false;
		len = strlen(cmd);
	}
	if (len >= size) {
		ka_refuse(ka, n, "the command is longer than healthd takes (511 bytes)");
		return false;
	}
	return true;
}

void ka_check(struct ka *ka, const struct ka_node *n, const char *svc)
{
	static const struct ka_kw *const tcp[] = { tcp_kw, check_kw, ka_timing_kw, NULL };
	static const struct ka_kw *const http[] = { http_kw, check_kw, ka_timing_kw, NULL };
	static const struct ka_kw *const misc[] = { misc_kw, check_kw, ka_timing_kw, NULL };
	struct ka_chk c = { .t = ka->rs.t, .http = "", .misc_timeout = -1 };
	char cmd[CHECK_ARG_MAX + 1], port[32] = "";
	int errors = ka->im.errors;
	double timeout;

	c.type = !strcmp(n->kw, "TCP_CHECK") ? KC_TCP :
		 !strcmp(n->kw, "HTTP_GET") ? KC_HTTP :
		 !strcmp(n->kw, "SSL_GET") ? KC_SSL : KC_MISC;
	c.vhost = find(n, "virtualhost") && find(n, "virtualhost")->nargs == 1 ?
		  find(n, "virtualhost")->arg[0] : ka->rs.vhost;
	ka->chk = &c;
	ka->t = &c.t;
	ka_walk(ka, n->child, c.type == KC_TCP ? tcp :
		c.type == KC_MISC ? misc : http, false);
	/* keepalived's defaults. */
	if (c.t.delay_loop < 0)
		c.t.delay_loop = 60;
	if (c.t.connect_timeout < 0)
		c.t.connect_timeout = 5;
	if (c.t.retry < 0)
		c.t.retry = c.type == KC_MISC ? 0 : 1;
	if (ka->im.errors == errors && c.type != KC_TCP &&
	    command(ka, &c, n, cmd, sizeof(cmd)) && ka->im.errors == errors) {
		timeout = c.type == KC_MISC ?
			  (c.misc_timeout > 0 ? c.misc_timeout : c.t.delay_loop) :
			  c.t.connect_timeout * c.n_url;
		fprintf(ka->checks, "check %s %s exec \"%s\" interval %g timeout %g rise 1 fall %ld\n",
			svc, ka->rs.name, cmd, c.t.delay_loop,
			timeout > 3600 ? 3600 : timeout, c.t.retry + 1);
	} else if (ka->im.errors == errors && c.type == KC_TCP) {
		if (c.port)
			snprintf(port, sizeof(port), " port %lu", c.port);
		fprintf(ka->checks, "check %s %s connect interval %g timeout %g rise 1 fall %ld%s\n",
			svc, ka->rs.name, c.t.delay_loop, c.t.connect_timeout,
			c.t.retry + 1, port);
	}
	free(c.url);
	ka->chk = NULL;
}
