// SPDX-License-Identifier: GPL-2.0
/*
 * Draining a balancer: `l4lbadm drain` asks the healthd of this network
 * namespace to withdraw every address it announces, then waits until the
 * router has moved the traffic (no new flow at those addresses for a
 * while); `undrain` lets healthd announce again. The two talk over a unix
 * socket in a directory only root may enter, named by the namespace, so
 * each balancer's namespace has its own healthd to ask and nobody else can
 * pose as it (an abstract name would be anyone's to take first).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "healthd.h"

#define CTL_DIR		"/run/l4lb-healthd"	/* root's, mode 0700 */
#define POLL_MS		100		/* drain: how often flows are counted */
#define ANSWER_S	30		/* healthd answers between two checks */

/* The socket's path: one a network namespace (its nsfs inode). */
static socklen_t ctl_addr(struct sockaddr_un *sun)
{
	struct stat st;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (stat("/proc/self/ns/net", &st) < 0)
		st.st_ino = 0;
	snprintf(sun->sun_path, sizeof(sun->sun_path), CTL_DIR "/net-%llu",
		 (unsigned long long)st.st_ino);
	return sizeof(*sun);
}

static int bind_listen(int fd, const struct sockaddr_un *sun)
{
	if (bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0)
		return -1;
	if (chmod(sun->sun_path, 0600) < 0 || listen(fd, 4) < 0) {
		unlink(sun->sun_path);
		return -1;
	}
	return 0;
}

/*
 * healthd's end: a listening socket, or -1 (EADDRINUSE: another healthd
 * answers there). A socket left by a healthd that died is taken over.
 */
int ctl_listen(void)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, probe, err;

	ctl_addr(&sun);
	if (mkdir(CTL_DIR, 0700) < 0 && errno != EEXIST)
		return -1;
	/* Whoever may write there could pose as healthd: root alone. */
	if (lstat(CTL_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid ||
	    (st.st_mode & 0077)) {
		errno = EPERM;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind_listen(fd, &sun) == 0)
		return fd;
	err = errno;
	if (err == EADDRINUSE) {
		probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun,
					  sizeof(sun)) < 0 &&
		    errno == ECONNREFUSED && unlink(sun.sun_path) == 0 &&
		    bind_listen(fd, &sun) == 0) {
			close(probe);
			return fd;
		}
		if (probe >= 0)
			close(probe);
	}
	close(fd);
	errno = err;
	return -1;
}

/* healthd stops: its socket goes with it. */
void ctl_close(int fd)
{
	struct sockaddr_un sun;

	if (fd < 0)
		return;
	ctl_addr(&sun);
	unlink(sun.sun_path);
	close(fd);
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
		/*
		 * Not waited for, but taken if it came: a close with the
		 * request unread would reset the client before our answer.
		 */
		recv(c, cmd, len, MSG_DONTWAIT);
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
	struct timeval tv = { .tv_sec = ANSWER_S };
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
		if (errno == EACCES || errno == EPERM)
			fail("%s: permission denied (only root may drain or undrain)",
			     cmd);
		fail("%s: healthd: %s", cmd, strerror(errno));
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Refused at once (not root), it finds the answer waiting. */
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0 && errno != EPIPE)
		fail("%s: healthd: %s", cmd, strerror(errno));
	n = recv(fd, reply, len - 1, 0);
	if (n < 0 && errno == EAGAIN)
		fail("%s: healthd did not answer in %d s", cmd, ANSWER_S);
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

/* The addresses healthd's answer names ("N of M addresses ...: A B"). */
static size_t answer_addrs(char *reply, struct addr **out)
{
	char *p = strstr(reply, ": "), *save = NULL, *w;
	struct addr *v = NULL;
	size_t n = 0, cap = 0;

	if (p) {
		p = strdup(p + 2);
		if (!p)
			fail("out of memory");
		for (w = strtok_r(p, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			v = grow(v, &cap, n, sizeof(*v));
			if (parse_addr(w, &v[n]))
				n++;
		}
		free(p);
	}
	*out = v;
	return n;
}

/*
 * Flows the clients opened at the withdrawn addresses so far: their
 * services' new flows but the adopted ones (replies that passed this
 * balancer, which go on while backends route through it, whatever the
 * router does). Other services' traffic is not the router's to move.
 */
static unsigned long long new_flows(struct nl *nl, const struct addr *vip,
				    size_t nvip)
{
	unsigned long long sum = 0;
	struct svc_info *svc;
	size_t i, j, n;

	n = get_services(nl, &svc);
	for (i = 0; i < n; i++)
		for (j = 0; j < nvip; j++)
			if (addr_eq(&svc[i].id.addr, &vip[j]))
				sum += svc[i].stats.conns - svc[i].stats.adopted;
	free(svc);
	return sum;
}

int cmd_drain(struct nl *nl, int argc, char **argv)
{
	long long quiet = 5000, timeout = 120 * 1000, start, since, now;
	unsigned long long flows, last;
	static char reply[CTL_ANSWER_MAX];
	struct addr *vip;
	size_t nvip;
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
	/* "ok N of M addresses withdrawn: A B" */
	nvip = answer_addrs(reply, &vip);
	if (nl_open(nl) < 0) {
		printf("drained: %s; no l4lb module here, no flow to wait for\n",
		       reply + 3);
		return 0;
	}
	start = since = mono_ms();
	last = new_flows(nl, vip, nvip);
	for (;;) {
		now = mono_ms();
		if (now - since >= quiet)
			break;
		if (now - start >= timeout)
			fail("drain: %s; new flows still came after %.1f s: has the router withdrawn the route? (undrain announces again)",
			     reply + 3, timeout / 1000.0);
		poll(NULL, 0, POLL_MS);
		flows = new_flows(nl, vip, nvip);
		if (flows != last) {
			last = flows;
			since = mono_ms();
		}
	}
	printf("drained: %s; no new flow for %.1f s\n", reply + 3,
	       quiet / 1000.0);
	free(vip);
	return 0;
}

int cmd_undrain(struct nl *nl, int argc, char **argv)
{
	static char reply[CTL_ANSWER_MAX];

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
