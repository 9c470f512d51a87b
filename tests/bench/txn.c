// SPDX-License-Identifier: GPL-2.0
/*
 * txn: transactions through a balancer, one at a time, timed by the clock
 * of the machine it runs on. Under QEMU's icount (tests/bench/) that clock
 * counts instructions: a figure is the work of a transaction, everything
 * in the guest included, and cannot be inflated by drops or by the host.
 *
 *   txn serve PORT...                  on each PORT: echoes TCP (every
 *                                      connection, until its client closes)
 *                                      and UDP datagrams
 *   txn tcp-rr ADDR PORT N CPORT       one connection from CPORT, then N
 *                                      requests of a byte, each answered
 *   txn tcp-crr ADDR PORT N CPORT      N connections from CPORT, CPORT+1...:
 *                                      connect, a byte each way, close
 *   txn udp-rr ADDR PORT N CPORT       N datagrams from CPORT, each answered
 *   txn udp-new ADDR PORT N CPORT SRC  as udp-rr, each from a new source
 *                                      address: SRC, SRC+1... (which the
 *                                      caller gave this machine)
 *
 * Each client prints the nanoseconds a transaction took, on average. A
 * client port is never used twice by the caller, so no transaction meets
 * a TIME_WAIT socket or a flow left by an earlier one.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 256

static void die(const char *what)
{
	fprintf(stderr, "txn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct sockaddr_in addr_of(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };

	if (addr && inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		errno = EINVAL;
		die(addr);
	}
	return sa;
}

/* A socket of @type bound to @port (and @src, if given). */
static int bound(int type, const char *src, int port)
{
	struct sockaddr_in sa = addr_of(src, port);
	int fd, one = 1;

	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind");
	return fd;
}

static __attribute__((noreturn)) void serve(int nports, char **ports)
{
	struct pollfd p[MAX_FDS];
	int i, n = 0, one = 1;
	struct sockaddr_in from;
	socklen_t len;
	char b[64];
	ssize_t r;

	/* Listeners and UDP sockets first: 2 * nports entries that stay. */
	for (i = 0; i < nports && n + 2 < MAX_FDS; i++) {
		p[n].fd = bound(SOCK_STREAM, NULL, atoi(ports[i]));
		if (listen(p[n].fd, 1024))
			die("listen");
		p[n++].events = POLLIN;
		p[n].fd = bound(SOCK_DGRAM, NULL, atoi(ports[i]));
		p[n++].events = POLLIN;
	}
	for (;;) {
		if (poll(p, n, -1) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (i < 2 * nports && i % 2 == 0) {
				int c = accept(p[i].fd, NULL, NULL);

				if (c < 0)
					continue;
				if (n == MAX_FDS) {
					close(c);
					continue;
				}
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				p[n].fd = c;
				p[n].events = POLLIN;
				p[n++].revents = 0;
			} else if (i < 2 * nports) {
				len = sizeof(from);
				r = recvfrom(p[i].fd, b, sizeof(b), 0,
					     (struct sockaddr *)&from, &len);
				if (r > 0)
					sendto(p[i].fd, b, r, 0,
					       (struct sockaddr *)&from, len);
			} else {
				r = read(p[i].fd, b, sizeof(b));
				if (r > 0 && write(p[i].fd, b, r) == r)
					continue;
				/* The client closed: the slot takes the last. */
				close(p[i].fd);
				p[i--] = p[--n];
			}
		}
	}
}

/* Sends a byte on @fd and reads one back. */
static void exchange(int fd)
{
	char b = 'x';

	if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
		die("exchange");
}

static void connect_to(int fd, const char *addr, int port)
{
	struct sockaddr_in sa = addr_of(addr, port);
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct in_addr src;
	double t0;
	long i, n;
	int fd, cport;

	if (!strcmp(mode, "serve") && argc > 2)
		serve(argc - 2, argv + 2);
	if (argc < 6 || (!strcmp(mode, "udp-new") && argc != 7)) {
		fprintf(stderr, "usage: txn serve PORT... | tcp-rr|tcp-crr|udp-rr ADDR PORT N CPORT | udp-new ADDR PORT N CPORT SRC\n");
		return 2;
	}
	n = atol(argv[4]);
	cport = atoi(argv[5]);
	if (n <= 0)
		return 2;
	if (!strcmp(mode, "tcp-rr") || !strcmp(mode, "udp-rr")) {
		fd = bound(mode[0] == 't' ? SOCK_STREAM : SOCK_DGRAM, NULL,
			   cport);
		connect_to(fd, argv[2], atoi(argv[3]));
		exchange(fd);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			exchange(fd);
	} else if (!strcmp(mode, "tcp-crr")) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			fd = bound(SOCK_STREAM, NULL, cport + i);
			connect_to(fd, argv[2], atoi(argv[3]));
			exchange(fd);
			close(fd);
		}
	} else if (!strcmp(mode, "udp-new")) {
		if (inet_pton(AF_INET, argv[6], &src) != 1)
			return 2;
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			char a[INET_ADDRSTRLEN];
			struct in_addr s = {
				.s_addr = htonl(ntohl(src.s_addr) + i) };

			inet_ntop(AF_INET, &s, a, sizeof(a));
			fd = bound(SOCK_DGRAM, a, cport);
			connect_to(fd, argv[2], atoi(argv[3]));
			exchange(fd);
			close(fd);
		}
	} else {
		fprintf(stderr, "txn: unknown mode '%s'\n", mode);
		return 2;
	}
	printf("%.1f\n", (now_ns() - t0) / n);
	return 0;
}
