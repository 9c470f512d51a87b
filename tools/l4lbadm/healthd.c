// SPDX-License-Identifier: GPL-2.0
/*
 * l4lbadm healthd FILE: checks the backends of the services FILE names and
 * marks them down after `fall` failed checks in a row, up again after
 * `rise` good ones, through the family (BACKEND_SET health and check).
 * The operator's weight is never touched: health and weight are separate.
 *
 * The daemon's view outlives the module: when the family goes away it
 * waits for it, and once the services are back it puts its verdicts back.
 * A backend starts from the health the kernel has for it (up when new), so
 * a restarted daemon goes on from where it was. SIGHUP rereads FILE.
 *
 * "announce" lines put a VIP's address on an interface while it can be
 * served (announce.c), for a BGP daemon to export; `l4lbadm drain` and
 * `undrain` (drain.c) withdraw and restore them all.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>

#include "healthd.h"

#define REFRESH_MS	1000		/* how often backends are listed */
#define FORGET_MS	(300 * 1000)	/* a backend gone this long is forgotten */

/* A backend being checked, and what the daemon makes of it. */
struct target {
	struct be_info be;		/* as the kernel last showed it */
	struct check check;		/* the line that covers it */
	struct probe probe;
	uint8_t health;			/* the daemon's verdict */
	unsigned int good, bad;		/* checks in a row */
	char text[L4LB_CHECK_LEN_MAX];	/* the last check's result */
	long long next;			/* when the next check starts */
	long long missing_since;	/* 0 while the kernel lists it */
	bool seen;
	bool confirmed;			/* a check of this run succeeded */
};

/*
 * The health an announcement counts: a checked backend serves only once a
 * check of this run has found it good, so a restarted or booted balancer
 * announces when it is ready, not on the module's word ("up" when new).
 */
static uint8_t announce_health(const struct target *t)
{
	return t->confirmed ? t->health : L4LB_HEALTH_DOWN;
}

struct healthd {
	const char *file;
	struct check *checks;
	size_t n_checks;
	struct announce *ann;
	size_t n_ann;
	struct target **t;
	size_t n, cap;
	struct nl nl;
	bool connected;
	bool said_waiting;		/* "waiting for the module" was logged */
	/*
	 * What the last refresh listed, to announce by: the kernel's view,
	 * with the daemon's verdicts over it; the next listing fills @next.
	 */
	struct svc_info *svcs;
	size_t n_svcs;
	struct be_info *bes, *next;
	size_t n_bes, cap_bes, n_next, cap_next;
	struct announcer an;
	int ctl;			/* the drain socket, or -1 */
	bool drained;			/* `l4lbadm drain`: announce nothing */
};

static volatile sig_atomic_t stop, reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void healthd_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("healthd", fmt, ap);
	va_end(ap);
}

#define say healthd_say

/* Splits @line into words; "double quotes" keep spaces. Returns count. */
static int split(char *line, char **w, int max)
{
	int n = 0;
	char *p = line, *o;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p || *p == '#' || n == max)
			return n;
		w[n++] = o = p;
		if (*p == '"') {
			w[n - 1] = o = ++p;
			while (*p && *p != '"')
				*o++ = *p++;
			if (*p)
				p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\n')
				o++, p++;
		}
		if (*p)
			p++;
		*o = '\0';
	}
}

static unsigned long parse_count(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	return *end || end == s || v > max ? 0 : v;
}

/* One "check" line; returns an error text or NULL. */
static const char *parse_check(int argc, char **w, struct check *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->interval_ms = 2000;
	c->timeout_ms = 1000;
	c->rise = 2;
	c->fall = 3;
	if (argc < 4 || strcmp(w[0], "check"))
		return "a line is: check PROTO VIP:PORT [ADDRESS:PORT] connect|udp|exec ..., or announce VIP dev DEV [min-up N]";
	if (!parse_proto(w[1], &c->svc.proto))
		return "the protocol is tcp or udp";
	if (!parse_svc_addr(w[2], &c->svc.addr, &c->svc.port, &c->svc.last))
		return "the service is VIP:PORT, like 10.0.0.1:80 or [2001:db8::1]:80";
	i = 3;
	if (parse_be_addr(w[i], &c->be_addr, &c->be_port)) {
		c->one_backend = true;
		i++;
	}
	if (i >= argc)
		return "no check type: connect, udp or exec";
	if (!strcmp(w[i], "connect")) {
		c->type = CHECK_CONNECT;
	} else if (!strcmp(w[i], "udp")) {
		c->type = CHECK_UDP;
		snprintf(c->arg, sizeof(c->arg), "ping\n");
	} else if (!strcmp(w[i], "exec") && i + 1 < argc) {
		c->type = CHECK_EXEC;
		snprintf(c->arg, sizeof(c->arg), "%s", w[++i]);
	} else {
		return "the check type is connect, udp or exec COMMAND";
	}
	for (i++; i < argc; i += 2) {
		if (i + 1 >= argc)
			return "an option lacks its value";
		if (!strcmp(w[i], "interval"))
			c->interval_ms = parse_seconds(w[i + 1]);
		else if (!strcmp(w[i], "timeout"))
			c->timeout_ms = parse_seconds(w[i + 1]);
		else if (!strcmp(w[i], "rise"))
			c->rise = parse_count(w[i + 1], 100);
		else if (!strcmp(w[i], "fall"))
			c->fall = parse_count(w[i + 1], 100);
		else if (!strcmp(w[i], "port") && c->type != CHECK_EXEC)
			c->port = parse_count(w[i + 1], 65535);
		else if (!strcmp(w[i], "send") && c->type == CHECK_UDP)
			snprintf(c->arg, sizeof(c->arg), "%s", w[i + 1]);
		else if (!strcmp(w[i], "expect") && c->type == CHECK_UDP)
			snprintf(c->expect, sizeof(c->expect), "%s", w[i + 1]);
		else
			return "unknown option (interval, timeout, rise, fall; port; udp: send, expect)";
	}
	/* A port range's backends have none: the probe needs one. */
	if (c->svc.last && !c->port && c->type != CHECK_EXEC)
		return "a port range's backends have no port: give the check's (port N)";
	if (c->interval_ms < 0 || c->timeout_ms < 0)
		return "interval and timeout are seconds from 0.01 to 3600";
	if (!c->rise || !c->fall)
		return "rise and fall are counts from 1 to 100";
	return NULL;
}

/*
 * An announced VIP must be some service's address: a typo would otherwise
 * announce nothing, silently. Checked when the module answers and has
 * services; without them (not loaded, a restore still to come) there is
 * nothing to announce yet, and the line waits for its services.
 */
static const char *vips_known(struct healthd *h, const struct announce *ann,
			      size_t n, int *line)
{
	static char err[128];
	struct svc_info *svc = NULL;
	struct nl tmp = { 0 }, *nl = &h->nl;
	size_t i, j, nsvc = 0;
	bool listed;

	if (!n)
		return NULL;
	if (!h->connected) {
		if (nl_open(&tmp) < 0) {
			nl_close(&tmp);
			return NULL;
		}
		nl = &tmp;
	}
	listed = list_services(nl, &svc, &nsvc) == 0 && nsvc;
	if (nl == &tmp)
		nl_close(&tmp);
	for (i = 0; listed && i < n; i++) {
		for (j = 0; j < nsvc; j++)
			if (addr_eq(&svc[j].id.addr, &ann[i].vip))
				break;
		if (j == nsvc) {
			snprintf(err, sizeof(err),
				 "announce: %s is no service's address (l4lbadm list)",
				 fmt_addr(&ann[i].vip));
			*line = ann[i].line;
			free(svc);
			return err;
		}
	}
	free(svc);
	return NULL;
}

/* What the old configuration announced, the new one knows it has. */
static void carry_over(struct healthd *h, struct announce *ann, size_t n)
{
	size_t i, j;

	for (i = 0; i < h->n_ann; i++) {
		struct announce *old = &h->ann[i];

		for (j = 0; j < n; j++)
			if (addr_eq(&ann[j].vip, &old->vip) &&
			    !strcmp(ann[j].dev, old->dev))
				break;
		if (j < n) {
			ann[j].known = old->known;
			ann[j].on = old->on;
		} else if (old->on || !old->known) {
			if (announce_set(&h->an, old, false))
				say("%s: withdrawn from %s (no longer announced)",
				    fmt_addr(&old->vip), old->dev);
		}
	}
}

/* Reads FILE; on an error says where and returns false, keeping the old. */
static bool load(struct healthd *h)
{
	struct check *checks = NULL, c;
	struct announce *ann = NULL, a;
	char line[2048], *w[32];
	size_t n = 0, cap = 0, n_ann = 0, cap_ann = 0, i;
	const char *err = NULL;
	int no = 0, argc;
	FILE *f;

	f = fopen(h->file, "r");
	if (!f) {
		say("%s: %s", h->file, strerror(errno));
		return false;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		no++;
		argc = split(line, w, 32);
		if (!argc)
			continue;
		if (strcmp(w[0], "announce")) {
			err = parse_check(argc, w, &c);
			c.line = no;
			checks = grow(checks, &cap, n, sizeof(*checks));
			checks[n++] = c;
			continue;
		}
		err = parse_announce(argc, w, &a);
		for (i = 0; !err && i < n_ann; i++)
			if (addr_eq(&ann[i].vip, &a.vip))
				err = "announce: this VIP has an announce line already";
		a.line = no;
		ann = grow(ann, &cap_ann, n_ann, sizeof(*ann));
		ann[n_ann++] = a;
	}
	fclose(f);
	if (!err)
		err = vips_known(h, ann, n_ann, &no);
	if (!err && n_ann && h->ctl < 0) {
		no = ann[0].line;
		h->ctl = ctl_listen();
		if (h->ctl < 0)
			err = errno == EADDRINUSE ?
			      "announce: another l4lbadm healthd runs in this network namespace" :
			      errno == EPERM ?
			      "announce: /run/l4lb-healthd must be root's alone (mode 0700)" :
			      "announce: cannot listen for drain requests in /run/l4lb-healthd";
	}
	if (!err && n_ann && !h->an.rt && announcer_open(&h->an) < 0)
		err = "announce: cannot open rtnetlink";
	if (err) {
		say("%s:%d: %s", h->file, no, err);
		free(checks);
		free(ann);
		return false;
	}
	carry_over(h, ann, n_ann);
	free(h->checks);
	h->checks = checks;
	h->n_checks = n;
	free(h->ann);
	h->ann = ann;
	h->n_ann = n_ann;
	if (n_ann)
		say("%zu checks and %zu announced addresses from %s", n, n_ann,
		    h->file);
	else
		say("%zu checks from %s", n, h->file);
	return true;
}

static bool same_be(const struct be_info *a, const struct be_info *b)
{
	return svc_id_eq(&a->svc, &b->svc) && addr_eq(&a->addr, &b->addr) &&
	       a->port == b->port;
}

/* The line covering @be: its own, else its service's; NULL if none. */
static const struct check *check_for(const struct healthd *h,
				     const struct be_info *be)
{
	const struct check *svc_line = NULL;
	size_t i;

	for (i = 0; i < h->n_checks; i++) {
		const struct check *c = &h->checks[i];

		if (!svc_id_eq(&c->svc, &be->svc))
			continue;
		if (!c->one_backend)
			svc_line = svc_line ? svc_line : c;
		else if (addr_eq(&c->be_addr, &be->addr) &&
			 c->be_port == be->port)
			return c;
	}
	return svc_line;
}

static const char *name(const struct be_info *be)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s %s", proto_name(be->svc.proto),
		 fmt_svc_addr(&be->svc));
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s",
		 fmt_addr_port(&be->addr, be->port));
	return buf;
}

/* Tells the kernel the daemon's verdict where the two differ. */
static void push(struct healthd *h, struct target *t)
{
	if (!h->connected || t->missing_since ||
	    (t->be.health == t->health && !strcmp(t->be.check, t->text)))
		return;
	if (set_backend_health(&h->nl, &t->be, t->health, t->text) < 0) {
		if (errno != ENOENT)
			say("%s: %s", name(&t->be),
			    h->nl.ext_msg[0] ? h->nl.ext_msg : strerror(errno));
		return;
	}
	t->be.health = t->health;
	snprintf(t->be.check, sizeof(t->be.check), "%s", t->text);
}

static void forget(struct healthd *h, size_t i)
{
	probe_stop(&h->t[i]->probe);
	free(h->t[i]);
	h->t[i] = h->t[--h->n];
}

/* A dump started over: what it listed so far comes again. */
static void be_reset(void *data)
{
	((struct healthd *)data)->n_next = 0;
}

static int be_cb(const struct nlmsghdr *nlh, void *data)
{
	struct healthd *h = data;
	const struct check *c;
	struct target *t;
	struct be_info be;
	size_t i;

	if (!parse_be_msg(nlh, &be))
		return MNL_CB_OK;
	h->next = grow(h->next, &h->cap_next, h->n_next, sizeof(*h->next));
	h->next[h->n_next++] = be;
	c = check_for(h, &be);
	if (!c)
		return MNL_CB_OK;
	for (i = 0; i < h->n; i++)
		if (same_be(&h->t[i]->be, &be))
			break;
	if (i == h->n) {
		t = calloc(1, sizeof(*t));
		if (!t)
			fail("out of memory");
		t->health = be.health;
		snprintf(t->text, sizeof(t->text), "%s", be.check);
		t->probe.fd = -1;
		h->t = grow(h->t, &h->cap, h->n, sizeof(*h->t));
		h->t[h->n++] = t;
		say("%s: checking (%s)", name(&be),
		    be.health == L4LB_HEALTH_DOWN ? "down" : "up");
	}
	t = h->t[i];
	t->be = be;
	/* The daemon's verdict, not a reloaded module's "up", announces. */
	h->next[h->n_next - 1].health = announce_health(t);
	if (!t->probe.running)
		t->check = *c;
	t->seen = true;
	t->missing_since = 0;
	return MNL_CB_OK;
}

/*
 * Whether every service at @a's VIP has min-up usable backends (up, with
 * weight), as the last listing and the verdicts since have it; if not,
 * why not in @why. A fallback server does not count: a balancer left with
 * only its sorry server should give the route to one that can serve.
 */
static bool vip_ready(const struct healthd *h, const struct announce *a,
		      char *why, size_t len)
{
	unsigned int usable, nsvc = 0;
	size_t i, j;

	for (i = 0; i < h->n_svcs; i++) {
		const struct svc_id *svc = &h->svcs[i].id;

		if (!addr_eq(&svc->addr, &a->vip))
			continue;
		nsvc++;
		usable = 0;
		for (j = 0; j < h->n_bes; j++)
			usable += svc_id_eq(&h->bes[j].svc, svc) &&
				  !h->bes[j].fallback &&
				  h->bes[j].health == L4LB_HEALTH_UP &&
				  h->bes[j].weight > 0;
		if (usable < a->min_up) {
			snprintf(why, len, "%s %s has %u usable backends, min-up %u",
				 proto_name(svc->proto),
				 fmt_svc_addr(svc), usable,
				 a->min_up);
			return false;
		}
	}
	if (!nsvc)
		snprintf(why, len, "%s", h->connected ? "no service has it" :
			 "no l4lb module");
	return nsvc;
}

/* Each address on its device or off it, as its services can serve. */
static void announce_update(struct healthd *h)
{
	char why[160];
	size_t i;

	for (i = 0; i < h->n_ann; i++) {
		struct announce *a = &h->ann[i];
		bool want = vip_ready(h, a, why, sizeof(why));

		if (h->drained) {
			want = false;
			snprintf(why, sizeof(why), "drained");
		}
		if (a->known && a->on == want)
			continue;
		if (!announce_set(&h->an, a, want))
			continue;
		a->known = true;
		if (want)
			say("%s: announced on %s", fmt_addr(&a->vip), a->dev);
		else
			say("%s: withdrawn from %s (%s)", fmt_addr(&a->vip),
			    a->dev, why);
	}
}

/* A verdict counts for the announcements at once, not at the next list. */
static void note_health(struct healthd *h, const struct target *t)
{
	size_t i;

	for (i = 0; i < h->n_bes; i++)
		if (same_be(&h->bes[i], &t->be))
			h->bes[i].health = announce_health(t);
	announce_update(h);
}

/* Lists every service and backend; (re)connects to the family as needed. */
static void refresh(struct healthd *h, long long now)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct be_info *swap_bes;
	struct svc_info *svcs;
	size_t i, n_svcs;

	if (!h->connected) {
		if (nl_open(&h->nl) < 0) {
			nl_close(&h->nl);
			if (!h->said_waiting)
				say("no l4lb family (is the module loaded?); waiting for it");
			h->said_waiting = true;
			/* No module, nothing to serve with. */
			h->n_svcs = 0;
			h->n_bes = 0;
			return;
		}
		h->connected = true;
		h->said_waiting = false;
		say("connected to the l4lb family");
	}
	for (i = 0; i < h->n; i++)
		h->t[i]->seen = false;
	h->n_next = 0;
	if (list_services(&h->nl, &svcs, &n_svcs) < 0 ||
	    nl_dump(&h->nl, nl_msg(&h->nl, buf, L4LB_CMD_BACKEND_GET, 0),
		    be_cb, h, be_reset) < 0) {
		/*
		 * The last listing stands until the family is found gone:
		 * a failed dump alone withdraws nothing.
		 */
		say("the l4lb family went away (%s); waiting for it",
		    strerror(errno));
		nl_close(&h->nl);
		h->connected = false;
		h->said_waiting = true;
		return;
	}
	free(h->svcs);
	h->svcs = svcs;
	h->n_svcs = n_svcs;
	swap_bes = h->bes;
	h->bes = h->next;
	h->next = swap_bes;
	h->n_bes = h->n_next;
	i = h->cap_bes;
	h->cap_bes = h->cap_next;
	h->cap_next = i;
	for (i = 0; i < h->n; i++) {
		struct target *t = h->t[i];

		if (!t->seen && !t->missing_since)
			t->missing_since = now;
		if (t->missing_since && now - t->missing_since > FORGET_MS) {
			say("%s: gone, forgotten", name(&t->be));
			forget(h, i--);
		}
	}
	for (i = 0; i < h->n; i++)
		push(h, h->t[i]);
}

/* A check's result moves the counters, and maybe the verdict. */
static void judge(struct healthd *h, struct target *t)
{
	const struct check *c = &t->check;

	snprintf(t->text, sizeof(t->text), "%s", t->probe.text);
	if (t->probe.ok) {
		t->good++;
		t->bad = 0;
		if (!t->confirmed) {
			t->confirmed = true;
			note_health(h, t);
		}
		if (t->health == L4LB_HEALTH_DOWN && t->good >= c->rise) {
			t->health = L4LB_HEALTH_UP;
			say("%s: up after %u good checks (%s)", name(&t->be),
			    t->good, t->text);
			note_health(h, t);
		}
	} else {
		t->bad++;
		t->good = 0;
		if (t->health == L4LB_HEALTH_UP && t->bad >= c->fall) {
			t->health = L4LB_HEALTH_DOWN;
			say("%s: down after %u failed checks (%s)",
			    name(&t->be), t->bad, t->text);
			note_health(h, t);
		}
	}
	t->probe.running = false;
	push(h, t);
}

/* Backends whose line went away with a reload are put back up. */
static void reconfigure(struct healthd *h)
{
	size_t i;

	if (!load(h))
		return;
	for (i = 0; i < h->n; i++) {
		struct target *t = h->t[i];

		if (check_for(h, &t->be))
			continue;
		t->health = L4LB_HEALTH_UP;
		t->text[0] = '\0';
		push(h, t);
		say("%s: no longer checked", name(&t->be));
		note_health(h, t);
		forget(h, i--);
	}
	announce_update(h);
}

/* A drain or undrain request on the drain socket. */
static void serve_ctl(struct healthd *h)
{
	static char reply[CTL_ANSWER_MAX];
	size_t i, on = 0, len;
	char cmd[64];
	int c;

	c = ctl_accept(h->ctl, cmd, sizeof(cmd));
	if (c < 0)
		return;
	if (!h->n_ann) {
		ctl_reply(c, "none healthd announces no address");
		return;
	}
	if (strcmp(cmd, "drain") && strcmp(cmd, "undrain")) {
		ctl_reply(c, "error unknown request");
		return;
	}
	if (h->drained != !strcmp(cmd, "drain"))
		say("%s", h->drained ? "undrained: announcing again" :
		    "drained: withdrawing every address");
	h->drained = !strcmp(cmd, "drain");
	announce_update(h);
	for (i = 0; i < h->n_ann; i++)
		on += h->ann[i].on;
	/* A drain that left an address announced must not look done. */
	if (h->drained && on)
		len = snprintf(reply, sizeof(reply),
			       "error %zu of %zu addresses could not be withdrawn (healthd's log says why):",
			       on, h->n_ann);
	else if (h->drained)
		len = snprintf(reply, sizeof(reply),
			       "ok %zu of %zu addresses withdrawn:", h->n_ann,
			       h->n_ann);
	else
		len = snprintf(reply, sizeof(reply),
			       "ok %zu of %zu addresses announced:", on, h->n_ann);
	for (i = 0; i < h->n_ann && len + 48 < sizeof(reply); i++)
		if (h->ann[i].on == (!h->drained || on))
			len += snprintf(reply + len, sizeof(reply) - len, " %s",
					fmt_addr(&h->ann[i].vip));
	ctl_reply(c, reply);
}

static void run(struct healthd *h)
{
	long long now, next_refresh = 0, wake;
	struct pollfd *pfd = NULL;
	size_t i, cap = 0;
	int *slot = NULL;
	nfds_t nfds;

	while (!stop) {
		now = now_ms();
		if (reload) {
			reload = 0;
			reconfigure(h);
		}
		if (now >= next_refresh) {
			refresh(h, now);
			announce_verify(&h->an, h->ann, h->n_ann);
			announce_update(h);
			next_refresh = now + REFRESH_MS;
		}
		if (cap < h->n + 1) {
			cap = h->n + 1;
			pfd = realloc(pfd, cap * sizeof(*pfd));
			slot = realloc(slot, cap * sizeof(*slot));
			if (!pfd || !slot)
				fail("out of memory");
		}
		wake = next_refresh;
		nfds = 0;
		for (i = 0; i < h->n; i++) {
			struct target *t = h->t[i];

			slot[i] = -1;
			if (!t->probe.running && h->connected &&
			    !t->missing_since && now >= t->next) {
				/* A portless backend serves its service's. */
				probe_start(&t->probe, &t->check, &t->be.addr,
					    t->be.port ?: t->be.svc.port, now);
				t->next = now + t->check.interval_ms;
			}
			if (t->probe.running && probe_pollfd(&t->probe,
							     &t->check,
							     &pfd[nfds]))
				slot[i] = nfds++;
			if (t->probe.running && t->check.type == CHECK_EXEC)
				wake = wake < now + 50 ? wake : now + 50;
			if (t->probe.running && t->probe.deadline < wake)
				wake = t->probe.deadline;
			if (!t->probe.running && t->next < wake)
				wake = t->next;
		}
		if (h->ctl >= 0) {
			pfd[nfds].fd = h->ctl;
			pfd[nfds].events = POLLIN;
			pfd[nfds].revents = 0;
			nfds++;
		}
		if (poll(pfd, nfds, wake > now ? (int)(wake - now) : 0) < 0 &&
		    errno != EINTR)
			fail("healthd: poll: %s", strerror(errno));
		if (h->ctl >= 0 && pfd[nfds - 1].revents)
			serve_ctl(h);
		now = now_ms();
		for (i = 0; i < h->n; i++) {
			struct target *t = h->t[i];

			if (!t->probe.running)
				continue;
			probe_step(&t->probe, &t->check,
				   slot[i] >= 0 ? &pfd[slot[i]] : NULL, now);
			if (t->probe.done)
				judge(h, t);
		}
	}
	for (i = 0; i < h->n; i++)
		probe_stop(&h->t[i]->probe);
	free(pfd);
	free(slot);
}

/*
 * A file refused at start: what an earlier run may have announced by its
 * lines goes, as far as they can be read, for nothing checks it now;
 * unless another healthd answers in this namespace: they are its.
 */
static void withdraw_named(struct healthd *h)
{
	struct announce a;
	char line[2048], *w[32];
	FILE *f;
	int argc;

	if (h->ctl < 0)
		h->ctl = ctl_listen();
	if (h->ctl < 0 && errno == EADDRINUSE)
		return;
	f = fopen(h->file, "r");
	while (f && fgets(line, sizeof(line), f)) {
		argc = split(line, w, 32);
		/* The VIP and the device: a bad min-up does not hide them. */
		if (argc && !strcmp(w[0], "announce") &&
		    !parse_announce(argc > 4 ? 4 : argc, w, &a) &&
		    (h->an.rt || announcer_open(&h->an) == 0))
			announce_set(&h->an, &a, false);
	}
	if (f)
		fclose(f);
	ctl_close(h->ctl);
	h->ctl = -1;
}

/* Stopped, it vouches for nothing: every address it may have put goes. */
static void withdraw_all(struct healthd *h)
{
	size_t i;

	for (i = 0; i < h->n_ann; i++) {
		struct announce *a = &h->ann[i];

		if ((a->on || !a->known) && announce_set(&h->an, a, false))
			say("%s: withdrawn from %s (healthd stops)",
			    fmt_addr(&a->vip), a->dev);
	}
}

int cmd_healthd(struct nl *nl, int argc, char **argv)
{
	struct healthd h = { .ctl = -1 };
	struct sigaction sa = { .sa_handler = on_signal };

	(void)nl;
	if (argc != 1)
		fail("healthd takes one argument: its configuration file");
	h.file = argv[0];
	if (!load(&h)) {
		withdraw_named(&h);
		exit(1);
	}
	if (dry_run)
		return 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Without announce lines, only to tell drain that nothing is announced. */
	if (h.ctl < 0)
		h.ctl = ctl_listen();
	run(&h);
	withdraw_all(&h);
	ctl_close(h.ctl);
	say("stopped; backends keep the health they have");
	return 0;
}
