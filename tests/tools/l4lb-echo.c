// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-echo: the traffic of the end-to-end tests.
 *
 *   l4lb-echo serve NAME PORT      TCP and UDP on PORT: a TCP connection
 *                                  gets "NAME\n", then its bytes echoed; a
 *                                  datagram gets "NAME" back
 *   l4lb-echo tcp ADDR PORT [BYTES] [HOLD]
 *                                  connects, prints the server's name,
 *                                  sends BYTES pseudo-random bytes and
 *                                  checks the echo byte for byte; with
 *                                  HOLD, waits HOLD seconds (or, for "-",
 *                                  until its standard input closes), then
 *                                  does it again on the same connection
 *   l4lb-echo udp ADDR PORT COUNT  sends COUNT datagrams from one socket;
 *                                  prints "NAME FROM" for each reply (FROM:
 *                                  the reply's source address:port)
 *
 * ADDR is IPv4 or IPv6; the server answers both (one IPv6 socket each for
 * TCP and UDP, IPv4 clients as mapped addresses), and a UDP client prints
 * an IPv6 FROM as [ADDR]:PORT.
 *
 * Exits non-zero on any error, a short echo or a corrupted byte. Every
 * wait is bounded: 5 s for a client (L4LB_ECHO_TIMEOUT seconds if set:
 * time for TCP's retransmissions under a flood), 600 s for the server's
 * side of an idle held connection (a test on a loaded machine may hold one
 * for minutes).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "l4lb-echo: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* An IPv4 or IPv6 socket address; its length in *@len. */
static struct sockaddr_in6 addr_of(const char *a, const char *p,
				   socklen_t *len)
{
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in *sa = (struct sockaddr_in *)&sa6;

	if (inet_pton(AF_INET6, a, &sa6.sin6_addr) == 1) {
		sa6.sin6_port = htons(atoi(p));
		*len = sizeof(sa6);
		return sa6;
	}
	memset(&sa6, 0, sizeof(sa6));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(p));
	if (inet_pton(AF_INET, a, &sa->sin_addr) != 1) {
		fprintf(stderr, "l4lb-echo: bad address %s\n", a);
		exit(2);
	}
	*len = sizeof(*sa);
	return sa6;
}

/* A client's bound on each wait. */
static int client_timeout(void)
{
	const char *s = getenv("L4LB_ECHO_TIMEOUT");

	return s && atoi(s) > 0 ? atoi(s) : 5;
}

static void set_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void serve_tcp_conn(int c, const char *name)
{
	char buf[65536];
	ssize_t n, w, off;

	/* A client may hold its connection idle: a minute, not 5 s. */
	set_timeout(c, 600);
	dprintf(c, "%s\n", name);
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			w = write(c, buf + off, n - off);
			if (w <= 0)
				_exit(1);
		}
	}
	_exit(0);
}

static void __attribute__((noreturn)) serve(const char *name, const char *port)
{
	struct sockaddr_in6 sa, from;
	socklen_t flen, salen;
	char buf[2048];
	struct pollfd p[2];
	int t, u, c, one = 1, zero = 0;
	ssize_t n;

	sa = addr_of("::", port, &salen);
	signal(SIGCHLD, SIG_IGN);
	t = socket(AF_INET6, SOCK_STREAM, 0);
	u = socket(AF_INET6, SOCK_DGRAM, 0);
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Both families on each socket. */
	setsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(t, (void *)&sa, salen) || listen(t, 128))
		die("tcp bind");
	if (bind(u, (void *)&sa, salen))
		die("udp bind");
	p[0] = (struct pollfd){ .fd = t, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = u, .events = POLLIN };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die("poll");
		if (p[0].revents & POLLIN) {
			c = accept(t, NULL, NULL);
			/* A connection outlives its server (kill): only it. */
			if (c >= 0 && fork() == 0) {
				close(t);
				close(u);
				serve_tcp_conn(c, name);
			}
			if (c >= 0)
				close(c);
		}
		if (p[1].revents & POLLIN) {
			flen = sizeof(from);
			n = recvfrom(u, buf, sizeof(buf), 0, (void *)&from, &flen);
			if (n >= 0)
				sendto(u, name, strlen(name), 0, (void *)&from,
				       flen);
		}
	}
}

/* Sends @bytes pseudo-random bytes and checks their echo. */
static int echo_round(int fd, long bytes, unsigned int *seed)
{
	static char buf[65536], want[65536];
	long sent = 0, got, i;
	ssize_t n;

	while (sent < bytes) {
		n = bytes - sent < (long)sizeof(buf) ? bytes - sent : (long)sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (char)(rand_r(seed) >> 7);
		if (write(fd, buf, n) != n)
			die("write");
		sent += n;
		memcpy(want, buf, n);
		/* The echo of a chunk comes back whole before the next. */
		for (got = 0; got < n; got += i) {
			i = read(fd, buf + got, n - got);
			if (!i) {
				fprintf(stderr, "l4lb-echo: connection closed mid-echo\n");
				return 1;
			}
			if (i < 0)
				die("read echo");
		}
		if (memcmp(buf, want, n)) {
			fprintf(stderr, "l4lb-echo: corrupted echo\n");
			return 1;
		}
	}
	return 0;
}

static int tcp_client(const char *a, const char *p, long bytes,
		      const char *hold)
{
	unsigned int seed = 12345;
	struct sockaddr_in6 sa;
	socklen_t salen;
	char name[256];
	long i;
	int fd;

	sa = addr_of(a, p, &salen);
	fd = socket(sa.sin6_family, SOCK_STREAM, 0);
	set_timeout(fd, client_timeout());
	if (connect(fd, (void *)&sa, salen))
		die("connect");
	for (i = 0; i < (long)sizeof(name) - 1; i++) {
		if (read(fd, name + i, 1) != 1)
			die("read name");
		if (name[i] == '\n')
			break;
	}
	name[i] = '\0';
	printf("%s\n", name);
	fflush(stdout);
	if (echo_round(fd, bytes, &seed))
		return 1;
	if (hold) {
		char c;

		if (!strcmp(hold, "-"))
			while (read(0, &c, 1) > 0)
				;
		else
			sleep(atoi(hold));
		if (echo_round(fd, bytes, &seed))
			return 1;
	}
	close(fd);
	return 0;
}

static int udp_client(const char *a, const char *p, int count)
{
	char buf[2048], fa[INET6_ADDRSTRLEN];
	struct sockaddr_in6 sa, from;
	socklen_t flen, salen;
	ssize_t n;
	int fd, i;

	sa = addr_of(a, p, &salen);
	fd = socket(sa.sin6_family, SOCK_DGRAM, 0);
	set_timeout(fd, client_timeout());
	for (i = 0; i < count; i++) {
		n = snprintf(buf, sizeof(buf), "datagram %d", i);
		if (sendto(fd, buf, n, 0, (void *)&sa, salen) != n)
			die("sendto");
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (void *)&from, &flen);
		if (n < 0)
			die("recvfrom");
		buf[n] = '\0';
		if (from.sin6_family == AF_INET6) {
			inet_ntop(AF_INET6, &from.sin6_addr, fa, sizeof(fa));
			printf("%s [%s]:%u\n", buf, fa, ntohs(from.sin6_port));
		} else {
			struct sockaddr_in *f4 = (struct sockaddr_in *)&from;

			inet_ntop(AF_INET, &f4->sin_addr, fa, sizeof(fa));
			printf("%s %s:%u\n", buf, fa, ntohs(f4->sin_port));
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		serve(argv[2], argv[3]);
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "tcp"))
		return tcp_client(argv[2], argv[3],
				  argc > 4 ? atol(argv[4]) : 0,
				  argc > 5 ? argv[5] : NULL);
	if (argc == 5 && !strcmp(argv[1], "udp"))
		return udp_client(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of l4lb-echo.c\n");
	return 2;
}
