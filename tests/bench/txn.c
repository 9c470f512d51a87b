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
 *   txn fill6 DEV MAC SRC DST PORT N   N UDP datagrams out of DEV to MAC,
 *                                      DST:PORT, from SRC, SRC+1...: N
 *                                      IPv6 sessions in a balancer's table
 *                                      (pktgen varies no IPv6 source)
 *
 * ADDR, SRC and DST are IPv4 or IPv6; the server answers both.
 *
 * Each client prints the nanoseconds a transaction took, on average. A
 * client port is never used twice by the caller, so no transaction meets
 * a TIME_WAIT socket or a flow left by an earlier one.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* What an epoll event's data says besides the fd. */
#define LISTENER	(1ULL << 32)
#define DATAGRAM	(1ULL << 33)

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

/* An IPv4 or IPv6 socket address, and its length. */
struct addr {
	struct sockaddr_in6 sa;
	socklen_t len;
};

/* @addr:@port; NULL is the any address of @family. */
static struct addr addr_of(const char *addr, int port, int family)
{
	struct addr a = { .sa = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) },
			  .len = sizeof(struct sockaddr_in6) };
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;

	if (addr ? inet_pton(AF_INET6, addr, &a.sa.sin6_addr) == 1 :
		   family == AF_INET6)
		return a;
	memset(&a.sa, 0, sizeof(a.sa));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	a.len = sizeof(*sin);
	if (addr && inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		errno = EINVAL;
		die(addr);
	}
	return a;
}

/* A socket of @type and @family bound to @port (and @src, if given). */
static int bound(int type, int family, const char *src, int port)
{
	struct addr a = addr_of(src, port, family);
	int fd, one = 1;

	fd = socket(a.sa.sin6_family, type, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* IPv6 sources of a local route: bound without being assigned. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (a.sa.sin6_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a.sa, a.len))
		die("bind");
	return fd;
}

/* The family of an address's text. */
static int family_of(const char *addr)
{
	return strchr(addr, ':') ? AF_INET6 : AF_INET;
}

/*
 * The server waits in epoll, which hands it the one socket that is ready:
 * its work a transaction is the same whichever port, and however many
 * ports and connections it serves. (With poll() over every socket, a
 * transaction's figure depended on how many sockets the server had and
 * where its own was among them: some 5,000 instructions a UDP transaction
 * between the first configuration's port and the second of three.)
 */
static __attribute__((noreturn)) void serve(int nports, char **ports)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct epoll_event ev, evs[16];
	int i, f, k, n, ep, fd, one = 1;
	struct sockaddr_in6 from;
	socklen_t len;
	char b[64];
	ssize_t r;

	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	/*
	 * A listener and a UDP socket of each family on every port (an IPv4
	 * transaction never goes through an IPv6 socket). An event's data
	 * tells them apart: the fd, and LISTENER or DATAGRAM above it; an
	 * accepted connection has neither.
	 */
	for (i = 0; i < nports; i++) {
		for (f = 0; f < 2; f++) {
			fd = bound(SOCK_STREAM, families[f], NULL,
				   atoi(ports[i]));
			if (listen(fd, 1024))
				die("listen");
			ev.events = EPOLLIN;
			ev.data.u64 = LISTENER | (unsigned int)fd;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
				die("epoll_ctl");
			fd = bound(SOCK_DGRAM, families[f], NULL,
				   atoi(ports[i]));
			ev.data.u64 = DATAGRAM | (unsigned int)fd;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
				die("epoll_ctl");
		}
	}
	for (;;) {
		n = epoll_wait(ep, evs, 16, -1);
		for (k = 0; k < n; k++) {
			fd = (int)(evs[k].data.u64 & 0xffffffff);
			if (evs[k].data.u64 & LISTENER) {
				int c = accept(fd, NULL, NULL);

				if (c < 0)
					continue;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				ev.events = EPOLLIN;
				ev.data.u64 = (unsigned int)c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
					close(c);
			} else if (evs[k].data.u64 & DATAGRAM) {
				len = sizeof(from);
				r = recvfrom(fd, b, sizeof(b), 0,
					     (struct sockaddr *)&from, &len);
				if (r > 0)
					sendto(fd, b, r, 0,
					       (struct sockaddr *)&from, len);
			} else {
				r = read(fd, b, sizeof(b));
				if (r > 0 && write(fd, b, r) == r)
					continue;
				/* The client closed: closing leaves epoll. */
				close(fd);
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
	struct addr a = addr_of(addr, port, 0);
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a.sa, a.len))
		die("connect");
}

/* @base + @i: the low 32 bits of an IPv6 address counted up. */
static struct in6_addr addr6_plus(const struct in6_addr *base, long i)
{
	struct in6_addr a = *base;

	a.s6_addr32[3] = htonl(ntohl(a.s6_addr32[3]) + i);
	return a;
}

/* Ones' complement sum of @len bytes (even) into @sum. */
static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint16_t *w = p;

	for (; len > 1; len -= 2)
		sum += *w++;
	return sum;
}

/*
 * N IPv6 UDP datagrams (8 bytes each) out of @dev to @mac, from @src,
 * @src+1... to @dst:@port: what pktgen does for IPv4 fills.
 */
static int fill6(const char *dev, const char *mac, const char *src,
		 const char *dst, int port, long n)
{
	struct {
		struct ether_header eth;
		struct ip6_hdr ip6;
		struct udphdr udp;
		char data[8];
	} __attribute__((packed)) f;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_halen = ETH_ALEN };
	struct in6_addr s0;
	uint32_t sum;
	long i;
	int fd;

	memset(&f, 0, sizeof(f));
	if (sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
		   &f.eth.ether_dhost[0], &f.eth.ether_dhost[1],
		   &f.eth.ether_dhost[2], &f.eth.ether_dhost[3],
		   &f.eth.ether_dhost[4], &f.eth.ether_dhost[5]) != 6 ||
	    inet_pton(AF_INET6, src, &s0) != 1 ||
	    inet_pton(AF_INET6, dst, &f.ip6.ip6_dst) != 1)
		return 2;
	memcpy(ll.sll_addr, f.eth.ether_dhost, ETH_ALEN);
	ll.sll_ifindex = if_nametoindex(dev);
	if (!ll.sll_ifindex)
		die(dev);
	f.eth.ether_type = htons(ETHERTYPE_IPV6);
	f.ip6.ip6_flow = htonl(6 << 28);
	f.ip6.ip6_plen = htons(sizeof(f.udp) + sizeof(f.data));
	f.ip6.ip6_nxt = IPPROTO_UDP;
	f.ip6.ip6_hlim = 64;
	f.udp.uh_sport = htons(9);
	f.udp.uh_dport = htons(port);
	f.udp.uh_ulen = f.ip6.ip6_plen;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("packet socket");
	for (i = 0; i < n; i++) {
		f.ip6.ip6_src = addr6_plus(&s0, i + 1);
		f.udp.uh_sum = 0;
		/* The pseudo-header and the datagram. */
		sum = sum16(&f.ip6.ip6_src, 32, 0);
		sum += f.udp.uh_ulen + htons(IPPROTO_UDP);
		sum = sum16(&f.udp, sizeof(f.udp) + sizeof(f.data), sum);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		f.udp.uh_sum = ~sum ? ~sum : 0xffff;
		if (sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&ll,
			   sizeof(ll)) != sizeof(f))
			die("sendto");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct in6_addr src6 = { 0 };
	struct in_addr src = { 0 };
	double t0;
	long i, n;
	int fd, cport;

	if (!strcmp(mode, "serve") && argc > 2)
		serve(argc - 2, argv + 2);
	if (!strcmp(mode, "fill6") && argc == 8)
		return fill6(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]),
			     atol(argv[7]));
	if (argc < 6 || (!strcmp(mode, "udp-new") && argc != 7)) {
		fprintf(stderr, "usage: txn serve PORT... | tcp-rr|tcp-crr|udp-rr ADDR PORT N CPORT | udp-new ADDR PORT N CPORT SRC | fill6 DEV MAC SRC DST PORT N\n");
		return 2;
	}
	n = atol(argv[4]);
	cport = atoi(argv[5]);
	if (n <= 0)
		return 2;
	if (!strcmp(mode, "tcp-rr") || !strcmp(mode, "udp-rr")) {
		fd = bound(mode[0] == 't' ? SOCK_STREAM : SOCK_DGRAM,
			   family_of(argv[2]), NULL, cport);
		connect_to(fd, argv[2], atoi(argv[3]));
		exchange(fd);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			exchange(fd);
	} else if (!strcmp(mode, "tcp-crr")) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			fd = bound(SOCK_STREAM, family_of(argv[2]), NULL,
				   cport + i);
			connect_to(fd, argv[2], atoi(argv[3]));
			exchange(fd);
			close(fd);
		}
	} else if (!strcmp(mode, "udp-new")) {
		if (inet_pton(AF_INET, argv[6], &src) != 1 &&
		    inet_pton(AF_INET6, argv[6], &src6) != 1)
			return 2;
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			char a[INET6_ADDRSTRLEN];
			struct in_addr s = {
				.s_addr = htonl(ntohl(src.s_addr) + i) };
			struct in6_addr s6 = addr6_plus(&src6, i);

			if (family_of(argv[6]) == AF_INET6)
				inet_ntop(AF_INET6, &s6, a, sizeof(a));
			else
				inet_ntop(AF_INET, &s, a, sizeof(a));
			fd = bound(SOCK_DGRAM, family_of(argv[6]), a, cport);
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
