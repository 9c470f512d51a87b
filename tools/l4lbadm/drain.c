// SPDX-License-Identifier: GPL-2.0
/*
 * Draining a balancer: `l4lbadm drain` asks the healthd of this network
 * namespace to withdraw every address it announces, then waits until the
 * router has moved the traffic (no new flow for a while); `undrain` lets
 * healthd announce again. The two talk over an abstract unix socket: the
 * kernel keeps one such name per network namespace, so each balancer's
 * namespace has its own healthd to ask, and only root may ask it.
 */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "healthd.h"

#define CTL_NAME	"l4lb-healthd"	/* abstract: one per network namespace */
#define POLL_MS		100		/* drain: how often flows are counted */

static socklen_t ctl_addr(struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, CTL_NAME, strlen(CTL_NAME));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(CTL_NAME);
}

/* healthd's end: a listening socket, or -1 (EADDRINUSE: another healthd). */
int ctl_listen(void)
{
	struct sockaddr_un sun;
	socklen_t len = ctl_addr(&sun);
	int fd;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, 4) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Takes one request from @lfd: its words into @cmd, and the connection to
 * answer on with ctl_reply(), or -1. Only root (or healthd's own user) is
 * heard: a request reroutes the balancer's traffic.
 */
int ctl_accept(int lfd, char *cmd, size_t len)
{
	struct timeval tv = { .tv_usec = 200 * 1000 };
	socklen_t cl = sizeof(struct ucred);
	struct ucred cred;
	ssize_t n;
	int c;

	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -1;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		ctl_reply(c, "error permission denied (drain and undrain need root)");
		return -1;
	}
	/* The client writes as soon as it connects; a silent one is dropped. */
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(c, cmd, len - 1, 0);
	if (n <= 0) {
		close(c);
		return -1;
	}
	cmd[n] = '\0';
	return c;
}

void ctl_reply(int c, const char *text)
{
	send(c, text, strlen(text), MSG_NOSIGNAL);
	close(c);
}

/* The client's end: @cmd to healthd; its answer's text, or a failure. */
static void ctl_request(const char *cmd, char *reply, size_t len)
{
	struct sockaddr_un sun;
	socklen_t alen = ctl_addr(&sun);
	ssize_t n;
	int fd;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("%s: socket: %s", cmd, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, alen) < 0) {
		if (errno == ECONNREFUSED || errno == ENOENT)
			fail("%s: no l4lbadm healthd runs in this network namespace (nothing announces its VIPs)",
			     cmd);
		fail("%s: healthd: %s", cmd, strerror(errno));
	}
	if (send(fd, cmd, strlen(cmd), 0) < 0)
		fail("%s: healthd: %s", cmd, strerror(errno));
	n = recv(fd, reply, len - 1, 0);
	if (n <= 0)
		fail("%s: healthd closed the connection without an answer", cmd);
	reply[n] = '\0';
	close(fd);
	if (!strncmp(reply, "error ", 6))
		fail("%s: %s", cmd, reply + 6);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Flows the clients opened here so far: every service's new flows but the
 * adopted ones (replies that passed this balancer, which go on while
 * backends route through it, whatever the router does).
 */
static unsigned long long new_flows(struct nl *nl)
{
	unsigned long long sum = 0;
	struct svc_info *svc;
	size_t i, n;

	n = get_services(nl, &svc);
	for (i = 0; i < n; i++)
		sum += svc[i].stats.conns - svc[i].stats.adopted;
	free(svc);
	return sum;
}

int cmd_drain(struct nl *nl, int argc, char **argv)
{
	long long quiet = 5000, timeout = 120 * 1000, start, since, now;
	unsigned long long flows, last;
	char reply[1024];
	int i;

	for (i = 0; i < argc; i += 2) {
		long long *v = !strcmp(argv[i], "quiet") ? &quiet :
			       !strcmp(argv[i], "timeout") ? &timeout : NULL;

		if (!v || i + 1 >= argc)
			fail("usage: l4lbadm drain [quiet S] [timeout S]");
		*v = parse_seconds(argv[i + 1]);
		if (*v < 0)
			fail("drain: %s is seconds from 0.01 to 3600, not '%s'",
			     argv[i], argv[i + 1]);
	}
	if (dry_run)
		return 0;
	ctl_request("drain", reply, sizeof(reply));
	if (!strncmp(reply, "none ", 5)) {
		printf("drain: %s; nothing to withdraw\n", reply + 5);
		return 0;
	}
	/* "ok N address(es) withdrawn: ..." */
	start = since = mono_ms();
	last = new_flows(nl);
	for (;;) {
		now = mono_ms();
		if (now - since >= quiet)
			break;
		if (now - start >= timeout)
			fail("drain: %s; new flows still came %.1f s later: has the router withdrawn the route? (undrain announces again)",
			     reply + 3, (now - start) / 1000.0);
		poll(NULL, 0, POLL_MS);
		flows = new_flows(nl);
		if (flows != last) {
			last = flows;
			since = mono_ms();
		}
	}
	printf("drained: %s; no new flow for %.1f s\n", reply + 3,
	       quiet / 1000.0);
	return 0;
}

int cmd_undrain(struct nl *nl, int argc, char **argv)
{
	char reply[1024];

	(void)nl;
	(void)argv;
	if (argc)
		fail("usage: l4lbadm undrain");
	if (dry_run)
		return 0;
	ctl_request("undrain", reply, sizeof(reply));
	if (!strncmp(reply, "none ", 5))
		printf("undrain: %s; nothing to announce\n", reply + 5);
	else
		printf("undrained: %s\n", reply + 3);
	return 0;
}
