// SPDX-License-Identifier: GPL-2.0
/*
 * healthd's announcements: a VIP's address on an interface (a dummy, say)
 * that a BGP daemon exports, BIRD by `protocol direct`, FRR by
 * `redistribute connected`. The address is there while the VIP can be
 * served and gone otherwise; no BGP is spoken here. This file owns the
 * "announce" lines and the address changes, by rtnetlink; healthd.c
 * decides when.
 */

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "healthd.h"

/* Not a unicast address a router could forward to: no VIP. */
static bool not_unicast(const struct addr *a)
{
	const uint8_t *b = a->family == AF_INET ?
			   (const uint8_t *)&a->v4 : a->v6.s6_addr;
	static const uint8_t zero[16];

	if (a->family == AF_INET)
		return b[0] == 0 || b[0] == 127 || b[0] >= 224;
	return !memcmp(b, zero, 16) || IN6_IS_ADDR_LOOPBACK(&a->v6) ||
	       b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

/* One "announce VIP dev DEV [min-up N]" line; an error text or NULL. */
const char *parse_announce(int argc, char **w, struct announce *a)
{
	static char err[128];
	char *end;
	unsigned long n;

	memset(a, 0, sizeof(*a));
	a->min_up = 1;
	if ((argc != 4 && argc != 6) || strcmp(w[2], "dev") ||
	    (argc == 6 && strcmp(w[4], "min-up")))
		return "a line is: announce VIP dev DEV [min-up N]";
	if (!parse_addr(w[1], &a->vip))
		return "announce: the VIP is an address, like 10.0.0.1 or 2001:db8::1";
	if (not_unicast(&a->vip)) {
		snprintf(err, sizeof(err),
			 "announce: %s is not a unicast address", w[1]);
		return err;
	}
	if (strlen(w[3]) >= sizeof(a->dev) || !if_nametoindex(w[3])) {
		snprintf(err, sizeof(err),
			 "announce: no interface %.*s (ip link add %.*s type dummy)",
			 IF_NAMESIZE, w[3], IF_NAMESIZE, w[3]);
		return err;
	}
	snprintf(a->dev, sizeof(a->dev), "%s", w[3]);
	if (argc == 6) {
		n = strtoul(w[5], &end, 10);
		if (*end || end == w[5] || w[5][0] == '-' || !n ||
		    n > ANNOUNCE_MIN_UP_MAX)
			return "announce: min-up is a count of backends from 1 to 512";
		a->min_up = n;
	}
	return NULL;
}

int announcer_open(struct announcer *an)
{
	an->rt = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!an->rt)
		return -1;
	if (mnl_socket_bind(an->rt, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(an->rt);
		an->rt = NULL;
		return -1;
	}
	an->portid = mnl_socket_get_portid(an->rt);
	an->seq = time(NULL);
	return 0;
}

void announcer_close(struct announcer *an)
{
	if (an->rt)
		mnl_socket_close(an->rt);
	an->rt = NULL;
}

/* RTM_NEWADDR or RTM_DELADDR of @a's VIP as a host address on its device. */
static int addr_change(struct announcer *an, int cmd, const struct announce *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned int ifindex = if_nametoindex(a->dev);
	struct ifaddrmsg *ifa;
	ssize_t n;

	if (!ifindex) {
		errno = ENODEV;
		return -1;
	}
	nlh->nlmsg_type = cmd;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (cmd == RTM_NEWADDR)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = ++an->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->vip.family;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	if (a->vip.family == AF_INET) {
		ifa->ifa_prefixlen = 32;
		mnl_attr_put(nlh, IFA_LOCAL, 4, &a->vip.v4);
		mnl_attr_put(nlh, IFA_ADDRESS, 4, &a->vip.v4);
	} else {
		/* A VIP is shared by design: no duplicate detection. */
		ifa->ifa_prefixlen = 128;
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put(nlh, IFA_ADDRESS, 16, &a->vip.v6);
	}
	if (mnl_socket_sendto(an->rt, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(an->rt, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, n, nlh->nlmsg_seq, an->portid, NULL, NULL) < 0 ?
	       -1 : 0;
}

/*
 * Puts @a's address on its device (@on) or takes it off; true when it is
 * as asked. An address already there, or already gone (with its device),
 * is no error, so a restarted daemon takes over what it left. A failure is
 * logged once, not at every retry.
 */
bool announce_set(struct announcer *an, struct announce *a, bool on)
{
	if (addr_change(an, on ? RTM_NEWADDR : RTM_DELADDR, a) < 0 &&
	    !(on ? errno == EEXIST : errno == EADDRNOTAVAIL || errno == ENODEV)) {
		if (!a->failed)
			healthd_say("%s on %s: cannot %s it: %s",
				    fmt_addr(&a->vip), a->dev,
				    on ? "add" : "remove", strerror(errno));
		a->failed = true;
		return false;
	}
	a->failed = false;
	a->on = on;
	return true;
}

struct seen {
	struct announce *ann;
	size_t n;
	const unsigned int *ifindex;
	bool *there;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct seen *s = data;
	const struct nlattr *attr;
	const void *local = NULL;
	size_t i, len;

	len = ifa->ifa_family == AF_INET ? 4 : 16;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		int type = mnl_attr_get_type(attr);

		if (mnl_attr_get_payload_len(attr) != len)
			continue;
		if (type == IFA_LOCAL ||
		    (type == IFA_ADDRESS && (!local || len == 16)))
			local = mnl_attr_get_payload(attr);
	}
	for (i = 0; local && i < s->n; i++)
		if (s->ann[i].vip.family == ifa->ifa_family &&
		    s->ifindex[i] == ifa->ifa_index &&
		    !memcmp(local, &s->ann[i].vip.v4, len))
			s->there[i] = true;
	return MNL_CB_OK;
}

/*
 * What the devices have, against what healthd put there: an address taken
 * away behind its back (a flush, the device re-created, an IPv6 address
 * lost with the link) or added is marked unknown, for the next update to
 * put right. Once a refresh: a dump of the namespace's addresses.
 */
void announce_verify(struct announcer *an, struct announce *ann, size_t n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned int ifindex[n ? n : 1];
	bool there[n ? n : 1];
	struct seen s = { ann, n, ifindex, there };
	struct rtgenmsg *rt;
	ssize_t len;
	size_t i;
	int ret;

	if (!n || !an->rt)
		return;
	for (i = 0; i < n; i++) {
		ifindex[i] = if_nametoindex(ann[i].dev);
		there[i] = false;
	}
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++an->seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(an->rt, nlh, nlh->nlmsg_len) < 0)
		return;
	do {
		len = mnl_socket_recvfrom(an->rt, buf, sizeof(buf));
		if (len < 0)
			return;
		ret = mnl_cb_run(buf, len, an->seq, an->portid, addr_cb, &s);
	} while (ret > 0);
	if (ret < 0)
		return;
	for (i = 0; i < n; i++) {
		if (!ann[i].known || ann[i].on == there[i])
			continue;
		healthd_say("%s: %s %s behind healthd's back; putting it right",
			    fmt_addr(&ann[i].vip), there[i] ? "added to" :
			    "gone from", ann[i].dev);
		ann[i].known = false;
	}
}
