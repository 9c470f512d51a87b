// SPDX-License-Identifier: GPL-2.0
/*
 * connrate: TCP connection rate through a balancer.
 *
 *   connrate serve PORT          accepts, reads a byte, writes it back and
 *                                closes (first, so TIME_WAIT stays here),
 *                                one connection after another
 *   connrate run ADDR PORT SECS  connects, sends a byte, reads it back and
 *                                the server's close, closes; again and
 *                                again for SECS seconds; prints connections
 *                                a second
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "connrate: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __attribute__((noreturn)) void serve(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int l, c, one = 1;
	char b;

	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1024))
		die("bind");
	for (;;) {
		c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, &b, 1) == 1)
			(void)!write(c, &b, 1);
		close(c);
	}
}

static int run(const char *addr, int port, double secs)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 2 };
	double start = now(), end = start + secs;
	long n = 0;
	char b = 'x';
	int fd;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("address");
	while (now() < end) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			die("connect");
		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1 ||
		    read(fd, &b, 1) != 0)
			die("exchange");
		close(fd);
		n++;
	}
	printf("%.1f\n", n / (now() - start));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "run"))
		return run(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: connrate serve PORT | run ADDR PORT SECS\n");
	return 2;
}
