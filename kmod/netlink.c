// SPDX-License-Identifier: GPL-2.0
/*
 * The "l4lb" generic netlink family: configuration in, state out.
 * Every request is validated whole before anything changes.
 */

#include <linux/in.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <linux/l4lb.h>

#include "netlink.h"
#include "netns.h"
#include "service.h"
#include "version.h"

static struct genl_family l4lb_genl_family;

static const struct nla_policy svc_key_policy[L4LB_A_MAX + 1] = {
	[L4LB_A_SVC_PROTO] = { .type = NLA_U8 },
	[L4LB_A_SVC_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[L4LB_A_SVC_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy svc_new_policy[L4LB_A_MAX + 1] = {
	[L4LB_A_SVC_PROTO] = { .type = NLA_U8 },
	[L4LB_A_SVC_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[L4LB_A_SVC_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[L4LB_A_SVC_SCHED] = NLA_POLICY_MAX(NLA_U8, L4LB_SCHED_MAX),
};

/* Fills @key from the request; on error, extack says which part is wrong. */
static int parse_svc_key(struct genl_info *info, struct l4lb_svc_key *key)
{
	struct nlattr **tb = info->attrs;
	u8 proto;

	if (GENL_REQ_ATTR_CHECK(info, L4LB_A_SVC_PROTO) ||
	    GENL_REQ_ATTR_CHECK(info, L4LB_A_SVC_ADDR4) ||
	    GENL_REQ_ATTR_CHECK(info, L4LB_A_SVC_PORT))
		return -EINVAL;

	proto = nla_get_u8(tb[L4LB_A_SVC_PROTO]);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_SVC_PROTO],
				    "protocol must be TCP (6) or UDP (17)");
		return -EINVAL;
	}
	l4lb_svc_key_init4(key, proto, nla_get_in_addr(tb[L4LB_A_SVC_ADDR4]),
			   htons(nla_get_u16(tb[L4LB_A_SVC_PORT])));
	return 0;
}

static int put_service(struct sk_buff *skb, const struct l4lb_service *svc)
{
	if (nla_put_u8(skb, L4LB_A_SVC_PROTO, svc->key.proto) ||
	    nla_put_in_addr(skb, L4LB_A_SVC_ADDR4, svc->key.addr.ip) ||
	    nla_put_u16(skb, L4LB_A_SVC_PORT, ntohs(svc->key.port)) ||
	    nla_put_u8(skb, L4LB_A_SVC_SCHED, svc->sched))
		return -EMSGSIZE;
	return 0;
}

static int info_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &l4lb_genl_family, 0,
				L4LB_CMD_INFO_GET);
	if (!hdr || nla_put_string(msg, L4LB_A_VERSION, L4LB_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int service_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct l4lb_svc_key key;
	u8 sched;
	int ret;

	ret = parse_svc_key(info, &key);
	if (ret)
		return ret;
	sched = l4lb_service_default_sched(key.proto);
	if (info->attrs[L4LB_A_SVC_SCHED])
		sched = nla_get_u8(info->attrs[L4LB_A_SVC_SCHED]);

	mutex_lock(&ln->lock);
	ret = l4lb_service_add(ln, &key, sched);
	mutex_unlock(&ln->lock);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG(info->extack, "service already exists");
	return ret;
}

static int service_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct l4lb_svc_key key;
	int ret;

	ret = parse_svc_key(info, &key);
	if (ret)
		return ret;

	mutex_lock(&ln->lock);
	ret = l4lb_service_remove(ln, &key);
	mutex_unlock(&ln->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such service");
	return ret;
}

static int service_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct l4lb_service *svc;
	struct l4lb_svc_key key;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = parse_svc_key(info, &key);
	if (ret)
		return ret;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	/* The lock keeps the service alive while it is written out. */
	mutex_lock(&ln->lock);
	rcu_read_lock();
	svc = l4lb_service_lookup(ln, &key);
	rcu_read_unlock();
	if (!svc) {
		NL_SET_ERR_MSG(info->extack, "no such service");
		ret = -ENOENT;
		goto err_unlock;
	}
	hdr = genlmsg_put_reply(msg, info, &l4lb_genl_family, 0,
				L4LB_CMD_SERVICE_GET);
	if (!hdr || put_service(msg, svc)) {
		ret = -EMSGSIZE;
		goto err_unlock;
	}
	mutex_unlock(&ln->lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&ln->lock);
	nlmsg_free(msg);
	return ret;
}

/* cb->args[0]: how many services earlier messages of this dump held. */
static int service_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct l4lb_net *ln = l4lb_net(sock_net(skb->sk));
	struct l4lb_service *svc;
	long idx = 0, skip = cb->args[0];
	void *hdr;

	mutex_lock(&ln->lock);
	cb->seq = ln->genid;
	list_for_each_entry(svc, &ln->svc_list, list) {
		if (idx++ < skip)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &l4lb_genl_family,
				  NLM_F_MULTI, L4LB_CMD_SERVICE_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (put_service(skb, svc)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&ln->lock);
	return skb->len;
}

static const struct genl_ops l4lb_genl_ops[] = {
	{
		.cmd = L4LB_CMD_INFO_GET,
		.doit = info_get_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = L4LB_CMD_SERVICE_NEW,
		.doit = service_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = svc_new_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_SERVICE_DEL,
		.doit = service_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = svc_key_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_SERVICE_GET,
		.doit = service_get_doit,
		.dumpit = service_get_dumpit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = svc_key_policy,
		.maxattr = L4LB_A_MAX,
	},
};

static struct genl_family l4lb_genl_family __ro_after_init = {
	.name = L4LB_GENL_NAME,
	.version = L4LB_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.ops = l4lb_genl_ops,
	.n_ops = ARRAY_SIZE(l4lb_genl_ops),
};

int __init l4lb_genl_init(void)
{
	return genl_register_family(&l4lb_genl_family);
}

void l4lb_genl_uninit(void)
{
	genl_unregister_family(&l4lb_genl_family);
}
