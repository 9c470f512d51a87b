// SPDX-License-Identifier: GPL-2.0
/*
 * The one file that talks netlink: opens the socket, finds the family, sends
 * a request and reads the answer, keeping the kernel's extack message.
 */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/l4lb.h>
#include <linux/netlink.h>

#include "l4lbadm.h"

#define NL_BUF_SIZE (64 * 1024)

static char rx_buf[NL_BUF_SIZE];

/* libmnl hands one pointer to both message and control callbacks. */
struct talk_ctx {
	struct nl *nl;
	mnl_cb_t cb;
	void *data;
	bool interrupted;
};

/* Keeps NLMSGERR_ATTR_MSG of an error message; the ack of success stops. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct nl *nl = ((struct talk_ctx *)data)->nl;
	const struct nlattr *attr;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG ||
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				continue;
			strncpy(nl->ext_msg, mnl_attr_get_str(attr),
				sizeof(nl->ext_msg) - 1);
		}
	}
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = noop_cb,
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
};

static int msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct talk_ctx *ctx = arg;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ctx->interrupted = true;
	return ctx->cb ? ctx->cb(nlh, ctx->data) : MNL_CB_OK;
}

/*
 * The rest of a dump whose messages libmnl stopped reading at one marked
 * NLM_F_DUMP_INTR (@n bytes of it in rx_buf): read up to its end, so the
 * next request starts on a clean socket.
 */
static int drain(struct nl *nl, ssize_t n)
{
	const struct nlmsghdr *nlh;
	int len;

	for (;;) {
		nlh = (const struct nlmsghdr *)rx_buf;
		for (len = n; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len))
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR)
				return 0;
		n = mnl_socket_recvfrom(nl->sock, rx_buf, sizeof(rx_buf));
		if (n < 0)
			return -1;
	}
}

/* Sends @nlh and runs the callback on each reply until ack, DONE or error. */
static int talk(struct nl *nl, struct nlmsghdr *nlh, struct talk_ctx *ctx)
{
	ssize_t n;
	int ret;

	nl->ext_msg[0] = '\0';
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl->sock, rx_buf, sizeof(rx_buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run2(rx_buf, n, nl->seq, nl->portid, msg_cb, ctx,
				  ctl_cbs, NLMSG_MIN_TYPE);
		/* libmnl fails a dump the kernel marked interrupted. */
		if (ret < 0 && errno == EINTR) {
			ctx->interrupted = true;
			return drain(nl, n);
		}
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -1 : 0;
}

struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint8_t cmd,
			uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = L4LB_GENL_VERSION;
	return nlh;
}

int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct talk_ctx ctx = { .nl = nl, .cb = cb, .data = data };

	/* restore's check pass: the request was built, that is the test. */
	if (dry_run)
		return 0;

	nlh->nlmsg_flags |= NLM_F_ACK;
	return talk(nl, nlh, &ctx);
}

/*
 * A dump that the kernel marks interrupted (the configuration changed under
 * it) is thrown away with @reset and asked for again.
 */
int nl_dump(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	    void (*reset)(void *data))
{
	struct talk_ctx ctx = { .nl = nl, .cb = cb, .data = data };
	int tries;

	nlh->nlmsg_flags |= NLM_F_DUMP;
	for (tries = 0; tries < 10; tries++) {
		ctx.interrupted = false;
		if (talk(nl, nlh, &ctx) < 0)
			return -1;
		if (!ctx.interrupted)
			return 0;
		if (reset)
			reset(data);
	}
	errno = EAGAIN;
	return -1;
}

/* The events group's id, from the family's list of multicast groups. */
static void mcast_groups(struct nl *nl, const struct nlattr *groups)
{
	const struct nlattr *grp, *attr;
	const char *name;
	uint32_t id;

	mnl_attr_for_each_nested(grp, groups) {
		name = NULL;
		id = 0;
		mnl_attr_for_each_nested(attr, grp) {
			if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
				name = mnl_attr_get_str(attr);
			if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
				id = mnl_attr_get_u32(attr);
		}
		if (name && !strcmp(name, L4LB_MCGRP_EVENTS))
			nl->events_group = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
			nl->family = mnl_attr_get_u16(attr);
		if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS &&
		    mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			mcast_groups(nl, attr);
	}
	return MNL_CB_OK;
}

int nl_open(struct nl *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->seq = time(NULL);
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock)
		return -1;
	/* Ask for the kernel's error text; don't echo our request back. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	nl->portid = mnl_socket_get_portid(nl->sock);

	nl->family = GENL_ID_CTRL;
	nlh = nl_msg(nl, buf, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, L4LB_GENL_NAME);
	nl->family = 0;
	if (nl_talk(nl, nlh, family_cb, nl) < 0)
		return -1;
	return nl->family ? 0 : -1;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/*
 * Joins the events group and runs @cb on every event until @cb stops or
 * the socket fails. Events lost to a full socket buffer (ENOBUFS) are
 * reported through @lost, and listening goes on.
 */
int nl_listen(struct nl *nl, mnl_cb_t cb, void *data, void (*lost)(void))
{
	unsigned int group = nl->events_group;
	ssize_t n;
	int ret;

	if (!group) {
		errno = ENOENT;
		return -1;
	}
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -1;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, rx_buf, sizeof(rx_buf));
		if (n < 0 && errno == ENOBUFS) {
			lost();
			continue;
		}
		if (n < 0)
			return -1;
		/* Events carry the changer's sequence number: accept any. */
		ret = mnl_cb_run(rx_buf, n, 0, 0, cb, data);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -1 : 0;
	}
}
