// SPDX-License-Identifier: GPL-2.0
/*
 * The "l4lb" generic netlink family: configuration in, state out. Every
 * request is validated whole (policies, then the checks here) before
 * anything changes; all changes and dumps run under &l4lb_net.lock.
 */

#include <linux/in.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <linux/l4lb.h>

#include "backend.h"
#include "conn.h"
#include "expiry.h"
#include "netlink.h"
#include "netns.h"
#include "persist.h"
#include "sched.h"
#include "service.h"
#include "stats.h"
#include "version.h"

static struct genl_family l4lb_genl_family;

#define SVC_KEY_POLICY \
	[L4LB_A_SVC_PROTO] = { .type = NLA_U8 }, \
	[L4LB_A_SVC_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)), \
	[L4LB_A_SVC_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)), \
	[L4LB_A_SVC_PORT] = NLA_POLICY_MIN(NLA_U16, 1), \
	[L4LB_A_SVC_PORT_LAST] = NLA_POLICY_MIN(NLA_U16, 1)

#define BE_KEY_POLICY \
	[L4LB_A_BE_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)), \
	[L4LB_A_BE_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)), \
	[L4LB_A_BE_PORT] = { .type = NLA_U16 }

static const struct nla_policy svc_key_policy[L4LB_A_MAX + 1] = {
	SVC_KEY_POLICY,
};

static struct netlink_range_validation persist_range = {
	.min = 0,
	.max = L4LB_PERSIST_MAX,
};

#define SVC_PERSIST_POLICY \
	[L4LB_A_SVC_PERSIST] = NLA_POLICY_FULL_RANGE(NLA_U32, &persist_range), \
	[L4LB_A_SVC_PERSIST_MASK] = NLA_POLICY_RANGE(NLA_U8, 1, 128)

static const struct nla_policy svc_set_policy[L4LB_A_MAX + 1] = {
	SVC_KEY_POLICY,
	SVC_PERSIST_POLICY,
	[L4LB_A_SVC_FLAGS] = NLA_POLICY_MASK(NLA_U32, L4LB_SVC_F_ALL),
	[L4LB_A_SVC_FLAGS_MASK] = NLA_POLICY_MASK(NLA_U32, L4LB_SVC_F_ALL),
};

static const struct nla_policy svc_new_policy[L4LB_A_MAX + 1] = {
	SVC_KEY_POLICY,
	SVC_PERSIST_POLICY,
	[L4LB_A_SVC_SCHED] = NLA_POLICY_MAX(NLA_U8, L4LB_SCHED_MAX),
	[L4LB_A_SVC_FLAGS] = NLA_POLICY_MASK(NLA_U32, L4LB_SVC_F_ALL),
	[L4LB_A_SVC_UDP_TIMEOUT] = NLA_POLICY_RANGE(NLA_U32,
						    L4LB_UDP_TIMEOUT_MIN,
						    L4LB_UDP_TIMEOUT_MAX),
};

static const struct nla_policy be_key_policy[L4LB_A_MAX + 1] = {
	SVC_KEY_POLICY,
	BE_KEY_POLICY,
};

/* 6.1's policies take a u32 range only through a (non-const) struct. */
static struct netlink_range_validation conns_limit_range = {
	.min = 0,
	.max = L4LB_CONNS_LIMIT_MAX,
};

#define BE_LIMITS_POLICY \
	[L4LB_A_BE_MAX_CONNS] = NLA_POLICY_FULL_RANGE(NLA_U32, \
						      &conns_limit_range), \
	[L4LB_A_BE_MIN_CONNS] = NLA_POLICY_FULL_RANGE(NLA_U32, \
						      &conns_limit_range)

static const struct nla_policy be_new_policy[L4LB_A_MAX + 1] = {
	SVC_KEY_POLICY,
	BE_KEY_POLICY,
	[L4LB_A_BE_WEIGHT] = NLA_POLICY_MAX(NLA_U16, L4LB_WEIGHT_MAX),
	BE_LIMITS_POLICY,
	[L4LB_A_BE_FALLBACK] = { .type = NLA_FLAG },
};

static const struct nla_policy pick_policy[L4LB_A_MAX + 1] = {
	SVC_KEY_POLICY,
	[L4LB_A_FLOW_CADDR4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[L4LB_A_FLOW_CADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[L4LB_A_FLOW_CPORT] = { .type = NLA_U16 },
};

static const struct nla_policy be_set_policy[L4LB_A_MAX + 1] = {
	SVC_KEY_POLICY,
	BE_KEY_POLICY,
	[L4LB_A_BE_WEIGHT] = NLA_POLICY_MAX(NLA_U16, L4LB_WEIGHT_MAX),
	[L4LB_A_BE_HEALTH] = NLA_POLICY_MAX(NLA_U8, L4LB_HEALTH_MAX),
	[L4LB_A_BE_CHECK] = { .type = NLA_NUL_STRING,
			      .len = L4LB_CHECK_LEN_MAX - 1 },
	BE_LIMITS_POLICY,
};

/* Ranges beyond the policy's own 16-bit bounds (6.1 takes them non-const). */
static struct netlink_range_validation max_flows_range = {
	.min = 1,
	.max = L4LB_MAX_FLOWS_MAX,
};

static struct netlink_range_validation tcp_timeout_range = {
	.min = 1,
	.max = L4LB_TCP_TIMEOUT_MAX,
};

static const struct nla_policy settings_policy[L4LB_A_MAX + 1] = {
	[L4LB_A_MAX_FLOWS] = NLA_POLICY_FULL_RANGE(NLA_U32, &max_flows_range),
	[L4LB_A_TIMEOUT_SYN] = NLA_POLICY_FULL_RANGE(NLA_U32,
						     &tcp_timeout_range),
	[L4LB_A_TIMEOUT_ESTABLISHED] = NLA_POLICY_FULL_RANGE(NLA_U32,
							     &tcp_timeout_range),
	[L4LB_A_TIMEOUT_FIN_WAIT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &tcp_timeout_range),
	[L4LB_A_TIMEOUT_CLOSING] = NLA_POLICY_FULL_RANGE(NLA_U32,
							 &tcp_timeout_range),
	[L4LB_A_DOWN_FLOWS] = NLA_POLICY_MAX(NLA_U32, L4LB_DOWN_FLOWS_MAX),
	[L4LB_A_HASH_SEED] = { .type = NLA_U32 },
};

/* Settings attributes and the TCP timeouts they carry. */
static const struct {
	int attr;
	enum l4lb_conn_timeout timeout;
} timeout_attrs[] = {
	{ L4LB_A_TIMEOUT_SYN, L4LB_TIMEOUT_SYN },
	{ L4LB_A_TIMEOUT_ESTABLISHED, L4LB_TIMEOUT_ESTABLISHED },
	{ L4LB_A_TIMEOUT_FIN_WAIT, L4LB_TIMEOUT_FIN_WAIT },
	{ L4LB_A_TIMEOUT_CLOSING, L4LB_TIMEOUT_CLOSING },
};

/*
 * An address given as IPv4 (@a4) or IPv6 (@a6), one of the two: fills
 * @addr and returns its family; 0 when neither is there; -EINVAL, with
 * extack set, when both are.
 */
static int get_addr(struct nlattr **tb, int a4, int a6,
		    struct netlink_ext_ack *extack, union nf_inet_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (tb[a4] && tb[a6]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a6],
				    "an address is IPv4 or IPv6, not both");
		return -EINVAL;
	}
	if (tb[a4]) {
		addr->ip = nla_get_in_addr(tb[a4]);
		return AF_INET;
	}
	if (tb[a6]) {
		addr->in6 = nla_get_in6_addr(tb[a6]);
		return AF_INET6;
	}
	return 0;
}

/* Fills @key from @tb; on error, extack says which part is wrong. */
static int parse_svc_key(struct nlattr **tb, struct netlink_ext_ack *extack,
			 struct l4lb_svc_key *key)
{
	union nf_inet_addr addr;
	int family;
	u8 proto;

	family = get_addr(tb, L4LB_A_SVC_ADDR4, L4LB_A_SVC_ADDR6, extack,
			  &addr);
	if (family < 0)
		return family;
	/* Neither address: the IPv4 one is named missing. */
	if (NL_REQ_ATTR_CHECK(extack, NULL, tb, L4LB_A_SVC_PROTO) ||
	    (!family && NL_REQ_ATTR_CHECK(extack, NULL, tb, L4LB_A_SVC_ADDR4)) ||
	    NL_REQ_ATTR_CHECK(extack, NULL, tb, L4LB_A_SVC_PORT)) {
		NL_SET_ERR_MSG(extack, "a service is named by protocol, address and port");
		return -EINVAL;
	}
	proto = nla_get_u8(tb[L4LB_A_SVC_PROTO]);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_SVC_PROTO],
				    "protocol must be TCP (6) or UDP (17)");
		return -EINVAL;
	}
	if (tb[L4LB_A_SVC_PORT_LAST] && nla_get_u16(tb[L4LB_A_SVC_PORT_LAST]) <
					nla_get_u16(tb[L4LB_A_SVC_PORT])) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_SVC_PORT_LAST],
				    "a port range's last port is below its first");
		return -EINVAL;
	}
	if (family == AF_INET6)
		l4lb_svc_key_init6(key, proto, &addr.in6,
				   htons(nla_get_u16(tb[L4LB_A_SVC_PORT])));
	else
		l4lb_svc_key_init4(key, proto, addr.ip,
				   htons(nla_get_u16(tb[L4LB_A_SVC_PORT])));
	return 0;
}

/* The last port of the service named in @tb (parsed into @key). */
static u16 svc_key_last(struct nlattr **tb, const struct l4lb_svc_key *key)
{
	return tb[L4LB_A_SVC_PORT_LAST] ?
	       nla_get_u16(tb[L4LB_A_SVC_PORT_LAST]) : ntohs(key->port);
}

/* The service named in @tb; caller holds &l4lb_net.lock. */
static struct l4lb_service *find_service(struct l4lb_net *ln,
					 struct nlattr **tb,
					 struct netlink_ext_ack *extack)
{
	struct l4lb_service *svc;
	struct l4lb_svc_key key;
	int ret;

	ret = parse_svc_key(tb, extack, &key);
	if (ret)
		return ERR_PTR(ret);
	rcu_read_lock();
	svc = l4lb_service_lookup(ln, &key);
	rcu_read_unlock();
	if (!svc) {
		NL_SET_ERR_MSG(extack, "no such service");
		return ERR_PTR(-ENOENT);
	}
	/* A range is named whole: its first port alone is not it. */
	if (svc->port_last != svc_key_last(tb, &key)) {
		if (l4lb_svc_ranged(svc))
			NL_SET_ERR_MSG(extack,
				       "no such service: the service of that first port is a port range, named by all its ports (FIRST-LAST)");
		else
			NL_SET_ERR_MSG(extack,
				       "no such service: the service of that first port has that port alone");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

/* Returns the backend address's family, or a negative error. */
static int parse_be_key(struct nlattr **tb, struct netlink_ext_ack *extack,
			union nf_inet_addr *addr, __be16 *port)
{
	int family;

	family = get_addr(tb, L4LB_A_BE_ADDR4, L4LB_A_BE_ADDR6, extack, addr);
	if (family < 0)
		return family;
	if ((!family && NL_REQ_ATTR_CHECK(extack, NULL, tb, L4LB_A_BE_ADDR4)) ||
	    NL_REQ_ATTR_CHECK(extack, NULL, tb, L4LB_A_BE_PORT)) {
		NL_SET_ERR_MSG(extack, "a backend is named by address and port");
		return -EINVAL;
	}
	*port = htons(nla_get_u16(tb[L4LB_A_BE_PORT]));
	return family;
}

/* A service and its backends share a family: says which attribute errs. */
static int check_family(struct l4lb_service *svc, int family,
			struct nlattr **tb, struct netlink_ext_ack *extack)
{
	if (svc->key.family == family)
		return 0;
	if (family == AF_INET6)
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_BE_ADDR6],
				    "an IPv4 service's backends have IPv4 addresses (be-addr4), not be-addr6");
	else
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_BE_ADDR4],
				    "an IPv6 service's backends have IPv6 addresses (be-addr6), not be-addr4");
	return -EINVAL;
}

/* The address attribute of @family's: the IPv4 one or the IPv6 one. */
static int put_addr(struct sk_buff *skb, int a4, int a6, u8 family,
		    const union nf_inet_addr *addr)
{
	if (family == AF_INET6)
		return nla_put_in6_addr(skb, a6, &addr->in6);
	return nla_put_in_addr(skb, a4, addr->ip);
}

static int put_stats(struct sk_buff *skb, int type,
		     struct l4lb_stats __percpu *stats)
{
	struct l4lb_stats_sum sum;
	struct nlattr *nest;
	unsigned int i;

	l4lb_stats_sum(stats, &sum);
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, L4LB_STATS_A_CONNS, sum.conns,
			      L4LB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_A_PKTS_IN, sum.pkts_in,
			      L4LB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_A_BYTES_IN, sum.bytes_in,
			      L4LB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_A_PKTS_OUT, sum.pkts_out,
			      L4LB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_A_BYTES_OUT, sum.bytes_out,
			      L4LB_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_A_ADOPTED, sum.adopted,
			      L4LB_STATS_A_PAD))
		goto err;
	/*
	 * The first reasons' attributes follow each other; BACKENDS_FULL,
	 * the last, has its own. A reason added after it needs a mapping.
	 */
	BUILD_BUG_ON(__L4LB_DROP_MAX - L4LB_DROP_BACKENDS_FULL != 1);
	for (i = 0; i < __L4LB_DROP_MAX; i++)
		if (nla_put_u64_64bit(skb, i < L4LB_DROP_BACKENDS_FULL ?
					   L4LB_STATS_A_DROP_NO_FLOW + i :
					   L4LB_STATS_A_DROP_BACKENDS_FULL,
				      sum.drops[i], L4LB_STATS_A_PAD))
			goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* A service's name: its key, and its last port if it is a range. */
struct svc_name {
	struct l4lb_svc_key key;
	u16 last;
};

static int put_svc_key(struct sk_buff *skb, const struct l4lb_svc_key *key,
		       u16 last)
{
	if (nla_put_u8(skb, L4LB_A_SVC_PROTO, key->proto) ||
	    put_addr(skb, L4LB_A_SVC_ADDR4, L4LB_A_SVC_ADDR6, key->family,
		     &key->addr) ||
	    nla_put_u16(skb, L4LB_A_SVC_PORT, ntohs(key->port)) ||
	    (last != ntohs(key->port) &&
	     nla_put_u16(skb, L4LB_A_SVC_PORT_LAST, last)))
		return -EMSGSIZE;
	return 0;
}

/* Caller holds &l4lb_net.lock. */
static int put_service(struct sk_buff *skb, const struct l4lb_service *svc)
{
	const struct l4lb_backend *be;
	u32 active = 0;

	list_for_each_entry(be, &svc->backends, list)
		active += atomic_read(&be->active);
	if (put_svc_key(skb, &svc->key, svc->port_last) ||
	    nla_put_u8(skb, L4LB_A_SVC_SCHED, svc->sched) ||
	    nla_put_u32(skb, L4LB_A_SVC_FLAGS, svc->flags) ||
	    nla_put_u32(skb, L4LB_A_SVC_UDP_TIMEOUT, svc->udp_timeout / HZ) ||
	    nla_put_u32(skb, L4LB_A_SVC_PERSIST, svc->persist >> 8) ||
	    (svc->persist &&
	     nla_put_u8(skb, L4LB_A_SVC_PERSIST_MASK,
			l4lb_persist_prefix(svc->persist))) ||
	    nla_put_u32(skb, L4LB_A_SVC_ACTIVE, active) ||
	    put_stats(skb, L4LB_A_SVC_STATS, svc->stats))
		return -EMSGSIZE;
	return 0;
}

/* Caller holds &l4lb_net.lock (health and check). */
static int put_backend(struct sk_buff *skb, const struct l4lb_backend *be)
{
	u32 since = jiffies_to_msecs(jiffies - be->health_since) / MSEC_PER_SEC;

	if (put_svc_key(skb, &be->svc->key, be->svc->port_last) ||
	    put_addr(skb, L4LB_A_BE_ADDR4, L4LB_A_BE_ADDR6, be->key.family,
		     &be->key.addr) ||
	    nla_put_u16(skb, L4LB_A_BE_PORT, ntohs(be->key.port)) ||
	    nla_put_u16(skb, L4LB_A_BE_WEIGHT, be->weight) ||
	    nla_put_u8(skb, L4LB_A_BE_HEALTH,
		       be->down ? L4LB_HEALTH_DOWN : L4LB_HEALTH_UP) ||
	    nla_put_u32(skb, L4LB_A_BE_HEALTH_SINCE, since) ||
	    (be->check[0] && nla_put_string(skb, L4LB_A_BE_CHECK, be->check)) ||
	    nla_put_u32(skb, L4LB_A_BE_ACTIVE, atomic_read(&be->active)) ||
	    (be->fallback && nla_put_flag(skb, L4LB_A_BE_FALLBACK)) ||
	    (be->max_conns &&
	     (nla_put_u32(skb, L4LB_A_BE_MAX_CONNS, be->max_conns) ||
	      nla_put_u32(skb, L4LB_A_BE_MIN_CONNS, be->min_conns))) ||
	    (be->max_conns && READ_ONCE(be->full) &&
	     nla_put_flag(skb, L4LB_A_BE_FULL)) ||
	    put_stats(skb, L4LB_A_BE_STATS, be->stats))
		return -EMSGSIZE;
	return 0;
}

/* Caller holds &l4lb_net.lock. */
static int put_settings(struct sk_buff *skb, const struct l4lb_net *ln)
{
	unsigned int i;

	if (nla_put_u32(skb, L4LB_A_MAX_FLOWS, ln->max_conns) ||
	    nla_put_u32(skb, L4LB_A_FLOWS, atomic_read(&ln->nr_conns)) ||
	    nla_put_u32(skb, L4LB_A_DOWN_FLOWS, ln->down_flows) ||
	    nla_put_u32(skb, L4LB_A_HASH_SEED, ln->hash_seed))
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(timeout_attrs); i++)
		if (nla_put_u32(skb, timeout_attrs[i].attr,
				ln->timeout[timeout_attrs[i].timeout] / HZ))
			return -EMSGSIZE;
	return 0;
}

static int fill_service(struct sk_buff *skb, const void *svc)
{
	return put_service(skb, svc);
}

static int fill_svc_name(struct sk_buff *skb, const void *arg)
{
	const struct svc_name *name = arg;

	return put_svc_key(skb, &name->key, name->last);
}

static int fill_backend(struct sk_buff *skb, const void *be)
{
	return put_backend(skb, be);
}

static int fill_settings(struct sk_buff *skb, const void *ln)
{
	return put_settings(skb, ln);
}

/*
 * Tells the events group that @cmd changed @obj, written by @fill. Callers
 * hold &l4lb_net.lock, so listeners get changes in the order they were
 * made. A listener that misses one because memory ran out gets ENOBUFS on
 * its socket, as with rtnetlink, and knows to read the state afresh.
 */
static void notify(struct genl_info *info, u8 cmd,
		   int (*fill)(struct sk_buff *skb, const void *obj),
		   const void *obj)
{
	struct net *net = genl_info_net(info);
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&l4lb_genl_family, net, 0))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto err;
	hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq,
			  &l4lb_genl_family, 0, cmd);
	if (!hdr || fill(msg, obj)) {
		nlmsg_free(msg);
		goto err;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&l4lb_genl_family, net, msg, 0, 0, GFP_KERNEL);
	return;
err:
	genl_set_err(&l4lb_genl_family, net, 0, 0, -ENOBUFS);
}

static int settings_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &l4lb_genl_family, 0,
				L4LB_CMD_SETTINGS_GET);
	if (!hdr)
		goto err;
	mutex_lock(&ln->lock);
	ret = put_settings(msg, ln);
	mutex_unlock(&ln->lock);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * Every value was range-checked by the policy before this runs, so all of
 * them apply or, with nothing given, none. New timeouts apply to flows as
 * their next packet refreshes them; a lower max_flows removes no flow.
 */
static int settings_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	unsigned int i;
	bool any = tb[L4LB_A_MAX_FLOWS] || tb[L4LB_A_DOWN_FLOWS] ||
		   tb[L4LB_A_HASH_SEED];

	for (i = 0; i < ARRAY_SIZE(timeout_attrs); i++)
		any |= !!tb[timeout_attrs[i].attr];
	if (!any) {
		NL_SET_ERR_MSG(info->extack, "nothing to set");
		return -EINVAL;
	}
	if (tb[L4LB_A_MAX_FLOWS] &&
	    nla_get_u32(tb[L4LB_A_MAX_FLOWS]) > l4lb_net_max_flows(ln)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_MAX_FLOWS],
				    "max-flows above the module's unpriv_max_flows needs a namespace of the initial user namespace");
		return -EPERM;
	}
	mutex_lock(&ln->lock);
	if (tb[L4LB_A_MAX_FLOWS])
		WRITE_ONCE(ln->max_conns, nla_get_u32(tb[L4LB_A_MAX_FLOWS]));
	if (tb[L4LB_A_DOWN_FLOWS])
		WRITE_ONCE(ln->down_flows, nla_get_u32(tb[L4LB_A_DOWN_FLOWS]));
	/* Flows keep their backends; new ones hash with the new seed. */
	if (tb[L4LB_A_HASH_SEED])
		WRITE_ONCE(ln->hash_seed, nla_get_u32(tb[L4LB_A_HASH_SEED]));
	for (i = 0; i < ARRAY_SIZE(timeout_attrs); i++)
		if (tb[timeout_attrs[i].attr])
			WRITE_ONCE(ln->timeout[timeout_attrs[i].timeout],
				   nla_get_u32(tb[timeout_attrs[i].attr]) * HZ);
	ln->genid++;
	notify(info, L4LB_CMD_SETTINGS_SET, fill_settings, ln);
	mutex_unlock(&ln->lock);
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

/*
 * Persistence from %L4LB_A_SVC_PERSIST and %L4LB_A_SVC_PERSIST_MASK over
 * @cur (the service's now, 0 for a new one) into *@persist. A mask needs
 * persistence, given or the service's; an IPv4 one is at most /32; the
 * default mask is the whole address, or the one the service has.
 */
#define LOCAL_STATELESS_MSG \
	"a stateless service keeps no flows: its local clients' replies could not be told from a health check's"

static int parse_persist(struct nlattr **tb, struct netlink_ext_ack *extack,
			 u8 family, bool stateless, u32 cur, u32 *persist)
{
	u8 full = family == AF_INET6 ? 128 : 32;
	u32 secs = cur >> 8;
	u8 prefix = cur ? l4lb_persist_prefix(cur) : full;

	if (tb[L4LB_A_SVC_PERSIST])
		secs = nla_get_u32(tb[L4LB_A_SVC_PERSIST]);
	if (tb[L4LB_A_SVC_PERSIST_MASK]) {
		prefix = nla_get_u8(tb[L4LB_A_SVC_PERSIST_MASK]);
		if (!secs) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_SVC_PERSIST_MASK],
					    "a netmask needs persistence");
			return -EINVAL;
		}
		if (prefix > full) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_SVC_PERSIST_MASK],
					    "an IPv4 service's netmask is at most /32");
			return -EINVAL;
		}
	}
	if (secs && stateless) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_SVC_PERSIST],
				    "a stateless service has no flows to persist");
		return -EINVAL;
	}
	*persist = l4lb_persist_make(secs, prefix);
	return 0;
}

static int service_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	struct l4lb_svc_key key;
	int ret;

	ret = parse_svc_key(tb, info->extack, &key);
	if (ret)
		return ret;
	l4lb_service_default_config(key.proto, &cfg);
	if (tb[L4LB_A_SVC_SCHED])
		cfg.sched = nla_get_u8(tb[L4LB_A_SVC_SCHED]);
	if (tb[L4LB_A_SVC_FLAGS])
		cfg.flags = nla_get_u32(tb[L4LB_A_SVC_FLAGS]);
	if (tb[L4LB_A_SVC_UDP_TIMEOUT])
		cfg.udp_timeout = nla_get_u32(tb[L4LB_A_SVC_UDP_TIMEOUT]);
	if (key.proto != IPPROTO_UDP && (cfg.flags & L4LB_SVC_F_STATELESS)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_SVC_FLAGS],
				    "only a UDP service can be stateless");
		return -EINVAL;
	}
	if ((cfg.flags & L4LB_SVC_F_STATELESS) &&
	    (cfg.sched == L4LB_SCHED_LC || cfg.sched == L4LB_SCHED_WLC)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_SVC_SCHED],
				    "lc and wlc count flows, and a stateless service has none");
		return -EINVAL;
	}
	if ((cfg.flags & L4LB_SVC_F_HASH_PORT) && !l4lb_sched_hashes(cfg.sched)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_SVC_FLAGS],
				    "hash-port needs the sh or mh scheduler");
		return -EINVAL;
	}
	if ((cfg.flags & L4LB_SVC_F_HASH_PORT) && key.proto == IPPROTO_UDP &&
	    !(cfg.flags & L4LB_SVC_F_STATELESS)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_SVC_FLAGS],
				    "a UDP session covers every port of its client: hash-port needs TCP or a stateless service");
		return -EINVAL;
	}
	if ((cfg.flags & L4LB_SVC_F_STATELESS) &&
	    (cfg.flags & L4LB_SVC_F_LOCAL_CLIENTS)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_SVC_FLAGS],
				    LOCAL_STATELESS_MSG);
		return -EINVAL;
	}
	if (key.proto != IPPROTO_UDP && tb[L4LB_A_SVC_UDP_TIMEOUT]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_SVC_UDP_TIMEOUT],
				    "a UDP timeout needs a UDP service");
		return -EINVAL;
	}
	ret = parse_persist(tb, info->extack, key.family,
			    cfg.flags & L4LB_SVC_F_STATELESS, 0, &cfg.persist);
	if (ret)
		return ret;
	cfg.port_last = svc_key_last(tb, &key);

	mutex_lock(&ln->lock);
	svc = l4lb_service_overlap(ln, &key, cfg.port_last);
	if (svc && (svc->key.port != key.port ||
		    svc->port_last != cfg.port_last)) {
		NL_SET_ERR_MSG(info->extack,
			       "its ports overlap another service's on this address and protocol (see service list): port ranges of one address do not overlap");
		ret = -EEXIST;
		goto out;
	}
	ret = l4lb_service_add(ln, &key, &cfg);
	if (!ret) {
		/* The lock, not RCU, keeps the new service alive here. */
		rcu_read_lock();
		svc = l4lb_service_lookup(ln, &key);
		rcu_read_unlock();
		notify(info, L4LB_CMD_SERVICE_NEW, fill_service, svc);
	}
	if (ret == -EEXIST)
		NL_SET_ERR_MSG(info->extack, "service already exists");
	else if (ret == -ENOSPC && ln->n_services < l4lb_net_max_services(ln))
		NL_SET_ERR_MSG(info->extack,
			       "an address has at most 16 port ranges of a protocol");
	else if (ret == -ENOSPC)
		NL_SET_ERR_MSG(info->extack,
			       "namespace has the most services it may hold");
out:
	mutex_unlock(&ln->lock);
	return ret;
}

/*
 * %L4LB_A_SVC_FLAGS under %L4LB_A_SVC_FLAGS_MASK, both or neither, into
 * *@flags and *@mask (0: no change). Only L4LB_SVC_F_SETTABLE changes in
 * place; a stateless service gets no local clients.
 */
static int parse_set_flags(struct nlattr **tb, struct netlink_ext_ack *extack,
			   const struct l4lb_service *svc, u32 *flags,
			   u32 *mask)
{
	*flags = 0;
	*mask = 0;
	if (!tb[L4LB_A_SVC_FLAGS] != !tb[L4LB_A_SVC_FLAGS_MASK]) {
		NL_SET_ERR_MSG(extack,
			       "flags and a flags mask go together");
		return -EINVAL;
	}
	if (!tb[L4LB_A_SVC_FLAGS])
		return 0;
	*flags = nla_get_u32(tb[L4LB_A_SVC_FLAGS]);
	*mask = nla_get_u32(tb[L4LB_A_SVC_FLAGS_MASK]);
	if (*mask & ~L4LB_SVC_F_SETTABLE) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_SVC_FLAGS_MASK],
				    "only local-clients changes on a service that exists");
		return -EINVAL;
	}
	if ((*flags & *mask & L4LB_SVC_F_LOCAL_CLIENTS) &&
	    (svc->flags & L4LB_SVC_F_STATELESS)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_SVC_FLAGS],
				    LOCAL_STATELESS_MSG);
		return -EINVAL;
	}
	return 0;
}

/*
 * What of a service changes in place: its persistence, its local-clients
 * flag. All is checked before anything changes.
 */
static int service_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct l4lb_service *svc;
	u32 persist, flags, mask;
	int ret;

	if (!tb[L4LB_A_SVC_PERSIST] && !tb[L4LB_A_SVC_PERSIST_MASK] &&
	    !tb[L4LB_A_SVC_FLAGS] && !tb[L4LB_A_SVC_FLAGS_MASK]) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give persist, a netmask or flags");
		return -EINVAL;
	}
	mutex_lock(&ln->lock);
	svc = find_service(ln, tb, info->extack);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto out;
	}
	ret = parse_persist(tb, info->extack, svc->key.family,
			    svc->flags & L4LB_SVC_F_STATELESS, svc->persist,
			    &persist);
	if (ret)
		goto out;
	ret = parse_set_flags(tb, info->extack, svc, &flags, &mask);
	if (ret)
		goto out;
	/* The one step that may fail (hooks to register): first. */
	ret = l4lb_service_set_flags(ln, svc, flags, mask);
	if (ret)
		goto out;
	if (persist != svc->persist)
		l4lb_service_set_persist(ln, svc, persist);
	notify(info, L4LB_CMD_SERVICE_SET, fill_service, svc);
out:
	mutex_unlock(&ln->lock);
	return ret;
}

static int service_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct l4lb_service *svc;
	struct svc_name name;
	int ret;

	mutex_lock(&ln->lock);
	svc = find_service(ln, info->attrs, info->extack);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto out;
	}
	name.key = svc->key;
	name.last = svc->port_last;
	ret = l4lb_service_remove(ln, &name.key);
	if (!ret)
		notify(info, L4LB_CMD_SERVICE_DEL, fill_svc_name, &name);
out:
	mutex_unlock(&ln->lock);
	return ret;
}

static int service_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct l4lb_service *svc;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	/* The lock keeps the service alive while it is written out. */
	mutex_lock(&ln->lock);
	svc = find_service(ln, info->attrs, info->extack);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
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

/*
 * Connection limits of a backend add or set, checked against each other
 * (with @lim holding a backend's limits when only its lower limit comes):
 * a lower limit needs an upper one and may equal it (no hysteresis), as
 * with IPVS, but not be above it.
 */
static int parse_limits(struct nlattr **tb, struct netlink_ext_ack *extack,
			struct l4lb_be_limits *lim)
{
	if (tb[L4LB_A_BE_MAX_CONNS]) {
		lim->max_conns = nla_get_u32(tb[L4LB_A_BE_MAX_CONNS]);
		lim->min_conns = 0;
	}
	if (tb[L4LB_A_BE_MIN_CONNS])
		lim->min_conns = nla_get_u32(tb[L4LB_A_BE_MIN_CONNS]);
	if (lim->min_conns && !lim->max_conns) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_BE_MIN_CONNS],
				    "min-conns needs a max-conns");
		return -EINVAL;
	}
	if (lim->min_conns > lim->max_conns) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_BE_MIN_CONNS],
				    "min-conns is above max-conns");
		return -ERANGE;
	}
	return 0;
}

/* Stateless services keep no flows to count. Under the lock. */
static int check_limits(const struct l4lb_service *svc,
			const struct l4lb_be_limits *lim, struct nlattr **tb,
			struct netlink_ext_ack *extack)
{
	if (lim->max_conns && (svc->flags & L4LB_SVC_F_STATELESS)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_A_BE_MAX_CONNS],
				    "a stateless service keeps no flows: no max-conns");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * A fallback server is used whole or not at all: no weight, no connection
 * limits (its save line, service set ... fallback, carries neither).
 */
static int fallback_refuses(struct nlattr **tb, struct netlink_ext_ack *extack)
{
	static const int attrs[] = { L4LB_A_BE_WEIGHT, L4LB_A_BE_MAX_CONNS,
				     L4LB_A_BE_MIN_CONNS };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		if (!tb[attrs[i]])
			continue;
		NL_SET_ERR_MSG_ATTR(extack, tb[attrs[i]],
				    "a fallback server has no weight or connection limits");
		return -EINVAL;
	}
	return 0;
}

/*
 * Would backend @addr:@port of @svc answer from a port another backend of
 * its address and protocol answers from (a portless backend from every
 * port of its service)? Their replies could not tell their service. A
 * port asks the table once (and walks the services sharing that portless
 * server); a portless backend, rare, walks the backends.
 * Caller holds &l4lb_net.lock.
 */
static bool be_ports_clash(struct l4lb_net *ln, struct l4lb_service *svc,
			   const union nf_inet_addr *addr, __be16 port)
{
	struct l4lb_backend *be;
	struct l4lb_service *s;
	struct l4lb_be_key k;
	bool clash;

	if (port) {
		k = (struct l4lb_be_key){ .addr = *addr, .proto = svc->key.proto,
					  .family = svc->key.family };
		clash = false;
		/* The lock keeps the table; RCU is what the walk wants. */
		rcu_read_lock();
		for (be = l4lb_backend_lookup(ln, &k); be && !clash;
		     be = l4lb_backend_next(be))
			clash = l4lb_svc_has_port(be->svc, port);
		rcu_read_unlock();
		return clash;
	}
	list_for_each_entry(s, &ln->svc_list, list) {
		if (s->key.proto != svc->key.proto ||
		    s->key.family != svc->key.family)
			continue;
		list_for_each_entry(be, &s->backends, list)
			if (be->key.port && nf_inet_addr_cmp(&be->key.addr, addr) &&
			    l4lb_svc_has_port(svc, be->key.port))
				return true;
	}
	return false;
}

static int backend_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	bool fallback = nla_get_flag(tb[L4LB_A_BE_FALLBACK]);
	struct l4lb_be_limits lim = {};
	struct l4lb_backend *old;
	struct l4lb_service *svc;
	union nf_inet_addr addr;
	u16 weight = 1;
	int ret, family;
	__be16 port;

	family = parse_be_key(tb, info->extack, &addr, &port);
	if (family < 0)
		return family;
	ret = fallback ? fallback_refuses(tb, info->extack) : 0;
	if (ret)
		return ret;
	if (tb[L4LB_A_BE_WEIGHT])
		weight = nla_get_u16(tb[L4LB_A_BE_WEIGHT]);
	ret = parse_limits(tb, info->extack, &lim);
	if (ret)
		return ret;

	mutex_lock(&ln->lock);
	svc = find_service(ln, tb, info->extack);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto out;
	}
	ret = check_family(svc, family, tb, info->extack);
	if (ret)
		goto out;
	/*
	 * A range's backend keeps each flow's port: one port of its own
	 * could not tell its stateless replies' client ports apart.
	 */
	if (port && l4lb_svc_ranged(svc)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_BE_PORT],
				    "a port range's backends have no port (be-port 0): give the address alone, each flow keeps its port");
		ret = -EINVAL;
		goto out;
	}
	if (be_ports_clash(ln, svc, &addr, port)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[L4LB_A_BE_PORT],
				    "a portless backend of this address answers from that port already (or a backend of it with a port in this service's ports): replies could not name their service");
		ret = -EEXIST;
		goto out;
	}
	ret = check_limits(svc, &lim, tb, info->extack);
	if (ret)
		goto out;
	/* Listed, so referenced: ours keeps it for its event once deleted. */
	old = svc->fallback;
	if (fallback && old)
		refcount_inc(&old->ref);
	if (fallback)
		ret = l4lb_backend_add_fallback(ln, svc, &addr, port);
	else
		ret = l4lb_backend_add_limited(ln, svc, &addr, port, weight,
					       &lim);
	if (!ret && fallback && old)
		notify(info, L4LB_CMD_BACKEND_DEL, fill_backend, old);
	if (fallback && old)
		l4lb_backend_put(old);
	if (!ret)
		notify(info, L4LB_CMD_BACKEND_NEW, fill_backend,
		       l4lb_backend_find(svc, &addr, port));
	else if (ret == -EEXIST && old &&
		 l4lb_backend_find(svc, &addr, port) == old)
		NL_SET_ERR_MSG(info->extack,
			       "backend is the service's fallback server already");
	else if (ret == -EEXIST && l4lb_backend_find(svc, &addr, port))
		NL_SET_ERR_MSG(info->extack, "backend already exists");
	else if (ret == -EADDRINUSE && !port)
		/* See backend_key_taken() in backend.c: port 0 is a key too. */
		NL_SET_ERR_MSG(info->extack,
			       "a portless backend of this address already serves another UDP service: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own backend address");
	else if (ret == -EADDRINUSE)
		/* See backend_key_taken() in backend.c. */
		NL_SET_ERR_MSG(info->extack,
			       "backend address and port already serve another UDP service: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own backend port");
	else if (ret == -ENOSPC && svc->n_backends >= L4LB_MAX_BACKENDS)
		NL_SET_ERR_MSG(info->extack, "service has the most backends it can hold");
	else if (ret == -ENOSPC)
		NL_SET_ERR_MSG(info->extack,
			       "namespace has the most backends it may hold");
out:
	mutex_unlock(&ln->lock);
	return ret;
}

/* The backend named in @tb of the service named in @tb; under the lock. */
static struct l4lb_backend *find_backend(struct l4lb_net *ln,
					 struct nlattr **tb,
					 struct netlink_ext_ack *extack)
{
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	union nf_inet_addr addr;
	__be16 port;
	int ret;

	ret = parse_be_key(tb, extack, &addr, &port);
	if (ret < 0)
		return ERR_PTR(ret);
	svc = find_service(ln, tb, extack);
	if (IS_ERR(svc))
		return ERR_CAST(svc);
	ret = check_family(svc, ret, tb, extack);
	if (ret)
		return ERR_PTR(ret);
	be = l4lb_backend_find(svc, &addr, port);
	if (!be) {
		NL_SET_ERR_MSG(extack, "no such backend in this service");
		return ERR_PTR(-ENOENT);
	}
	return be;
}

/*
 * Which flows a flow dump or flush is about: a service (NULL is any), and
 * in it a backend's address and port, whether the backend is listed or was
 * deleted and lives on for its flows. It holds a reference on the service,
 * so the pointer flows are compared with cannot be freed and reused by
 * another service meanwhile.
 */
struct flow_filter {
	struct l4lb_service *svc;
	union nf_inet_addr baddr;
	__be16 bport;
	bool by_backend;
	bool listed;
};

/* A service and a backend of it, both optional. */
static int flow_filter_get(struct l4lb_net *ln, struct nlattr **tb,
			   struct netlink_ext_ack *extack,
			   struct flow_filter *f)
{
	struct l4lb_service *svc;
	int ret = 0, family = 0;

	memset(f, 0, sizeof(*f));
	f->by_backend = tb[L4LB_A_BE_ADDR4] || tb[L4LB_A_BE_ADDR6] ||
			tb[L4LB_A_BE_PORT];
	if (!tb[L4LB_A_SVC_PROTO] && !tb[L4LB_A_SVC_ADDR4] &&
	    !tb[L4LB_A_SVC_ADDR6] && !tb[L4LB_A_SVC_PORT]) {
		if (f->by_backend) {
			NL_SET_ERR_MSG(extack, "a backend is named within a service");
			return -EINVAL;
		}
		return 0;
	}
	if (f->by_backend) {
		family = parse_be_key(tb, extack, &f->baddr, &f->bport);
		if (family < 0)
			return family;
	}
	mutex_lock(&ln->lock);
	svc = find_service(ln, tb, extack);
	if (IS_ERR(svc))
		ret = PTR_ERR(svc);
	else if (f->by_backend)
		ret = check_family(svc, family, tb, extack);
	if (!ret) {
		/* In the table, so the table's reference is there. */
		refcount_inc(&svc->ref);
		f->svc = svc;
		f->listed = f->by_backend &&
			    l4lb_backend_find(svc, &f->baddr, f->bport);
	}
	mutex_unlock(&ln->lock);
	return ret;
}

static void flow_filter_put(struct flow_filter *f)
{
	if (f->svc)
		l4lb_service_put(f->svc);
	memset(f, 0, sizeof(*f));
}

/* Under RCU: the flow pins its backend and service. */
static bool flow_matches(const struct l4lb_conn *conn,
			 const struct flow_filter *f)
{
	const struct l4lb_backend *be = conn->be;

	return (!f->svc || be->svc == f->svc) &&
	       (!f->by_backend || (be->key.port == f->bport &&
				   nf_inet_addr_cmp(&be->key.addr, &f->baddr)));
}

struct flow_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	const struct flow_filter *filter;
	u32 now;
};

/*
 * A flow dump's state between messages, in cb->ctx (zeroed by netlink when
 * the dump starts): the next bucket, and the filter, looked up once by the
 * first message (a start callback has no extack to explain a refusal).
 */
struct flow_dump_ctx {
	unsigned long bucket;
	bool ready;
	struct flow_filter filter;
};

static struct flow_dump_ctx *flow_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct flow_dump_ctx) > sizeof(cb->ctx));
	return (struct flow_dump_ctx *)cb->ctx;
}

/* Under RCU: the flow, its backend and service stay valid. */
static int flow_dump_one(struct l4lb_conn *conn, void *arg)
{
	struct flow_dump *d = arg;
	struct l4lb_backend *be = conn->be;
	s32 left = READ_ONCE(conn->deadline) - d->now;
	union nf_inet_addr caddr;
	void *hdr;

	if (!l4lb_conn_alive(conn, d->now) || !flow_matches(conn, d->filter))
		return 0;
	/* A template with flows on it: its whole time is still ahead. */
	if (l4lb_tpl_busy(conn))
		left = l4lb_conn_timeout(l4lb_net(sock_net(d->skb->sk)), conn);
	hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &l4lb_genl_family,
			  NLM_F_MULTI, L4LB_CMD_FLOW_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(d->cb, hdr);
	l4lb_conn_caddr(conn, &caddr);
	/* A portless backend's flow shows the port it was sent to. */
	if (put_svc_key(d->skb, &be->svc->key, be->svc->port_last) ||
	    put_addr(d->skb, L4LB_A_BE_ADDR4, L4LB_A_BE_ADDR6, be->key.family,
		     &be->key.addr) ||
	    nla_put_u16(d->skb, L4LB_A_BE_PORT,
			l4lb_conn_is_tpl(conn) ? ntohs(be->key.port) :
			ntohs(l4lb_conn_bport(conn))) ||
	    put_addr(d->skb, L4LB_A_FLOW_CADDR4, L4LB_A_FLOW_CADDR6,
		     be->key.family, &caddr) ||
	    nla_put_u16(d->skb, L4LB_A_FLOW_CPORT,
			l4lb_conn_is_tpl(conn) ? 0 :
			ntohs(l4lb_conn_cport(conn, be->key.proto))) ||
	    nla_put_u8(d->skb, L4LB_A_FLOW_STATE, READ_ONCE(conn->state)) ||
	    nla_put_u32(d->skb, L4LB_A_FLOW_EXPIRES,
			jiffies_to_msecs(max(left, 0)))) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	return 0;
}

static int flow_get_done(struct netlink_callback *cb)
{
	flow_filter_put(&flow_dump_ctx(cb)->filter);
	return 0;
}

/*
 * Flows, a whole bucket per step: when a message fills in the middle of a
 * bucket, the bucket's messages are taken back and the next message starts
 * with it, so no flow is listed twice. A resize or rehash between messages
 * (l4lb_conn_table_gen()) marks the dump interrupted and the tool asks
 * again.
 */
static int flow_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct l4lb_net *ln = l4lb_net(sock_net(skb->sk));
	struct flow_dump_ctx *ctx = flow_dump_ctx(cb);
	struct flow_dump d = {
		.skb = skb, .cb = cb, .filter = &ctx->filter, .now = l4lb_now(),
	};
	unsigned int idx = ctx->bucket, size;
	int ret, mark;

	if (!ctx->ready) {
		ret = flow_filter_get(ln, genl_dumpit_info(cb)->attrs,
				      cb->extack, &ctx->filter);
		if (ret)
			return ret;
		ctx->ready = true;
	}
	cb->seq = l4lb_conn_table_gen(ln);
	for (;;) {
		mark = skb->len;
		rcu_read_lock();
		ret = l4lb_conn_for_bucket(ln, idx, &size, flow_dump_one, &d);
		rcu_read_unlock();
		if (ret) {
			skb_trim(skb, mark);
			/* One bucket's flows fill no message: never seen. */
			if (!mark)
				return ret;
			break;
		}
		if (idx >= size)
			break;
		idx++;
	}
	/*
	 * A rehash that began while this message filled: the next message,
	 * or NLMSG_DONE, sees cb->seq changed and is marked interrupted.
	 */
	cb->seq = l4lb_conn_table_gen(ln);
	ctx->bucket = idx;
	return skb->len;
}

struct flow_flush {
	struct l4lb_net *ln;
	struct flow_filter filter;
	unsigned long matched;
};

static int flow_flush_one(struct l4lb_conn *conn, void *arg)
{
	struct flow_flush *f = arg;

	if (flow_matches(conn, &f->filter)) {
		l4lb_conn_unlink(f->ln, conn);
		f->matched++;
	}
	return 0;
}

/*
 * The flows of a deleted backend can be flushed too: a backend that is
 * neither listed nor has a flow is the only one unknown.
 */
static int flow_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flow_flush f = { .ln = l4lb_net(genl_info_net(info)) };
	int ret;

	ret = flow_filter_get(f.ln, info->attrs, info->extack, &f.filter);
	if (ret)
		return ret;
	ret = l4lb_conn_walk(f.ln, flow_flush_one, &f);
	if (!ret && f.filter.by_backend && !f.filter.listed && !f.matched) {
		NL_SET_ERR_MSG(info->extack,
			       "no such backend in this service, nor flows of one");
		ret = -ENOENT;
	}
	flow_filter_put(&f.filter);
	return ret;
}

/*
 * Weight (the operator's), health and check text (a health checker's): any
 * of them, all applied or, if the pool cannot be rebuilt, none.
 */
static int backend_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct l4lb_be_limits lim;
	struct l4lb_backend *be;
	bool down;
	u16 weight;
	int ret;

	if (!tb[L4LB_A_BE_WEIGHT] && !tb[L4LB_A_BE_HEALTH] &&
	    !tb[L4LB_A_BE_CHECK] && !tb[L4LB_A_BE_MAX_CONNS] &&
	    !tb[L4LB_A_BE_MIN_CONNS]) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give a weight, a health, a check or connection limits");
		return -EINVAL;
	}
	mutex_lock(&ln->lock);
	be = find_backend(ln, tb, info->extack);
	if (IS_ERR(be)) {
		ret = PTR_ERR(be);
		goto out;
	}
	ret = be->fallback ? fallback_refuses(tb, info->extack) : 0;
	if (ret)
		goto out;
	/* Every check before any change: a refusal changes nothing. */
	lim.max_conns = be->max_conns;
	lim.min_conns = be->min_conns;
	ret = parse_limits(tb, info->extack, &lim);
	if (!ret)
		ret = check_limits(be->svc, &lim, tb, info->extack);
	if (ret)
		goto out;
	weight = tb[L4LB_A_BE_WEIGHT] ? nla_get_u16(tb[L4LB_A_BE_WEIGHT]) :
					be->weight;
	down = tb[L4LB_A_BE_HEALTH] ?
	       nla_get_u8(tb[L4LB_A_BE_HEALTH]) == L4LB_HEALTH_DOWN : be->down;
	ret = l4lb_backend_set(ln, be, weight, down);
	if (ret)
		goto out;
	l4lb_backend_set_limits(ln, be, &lim);
	if (tb[L4LB_A_BE_CHECK]) {
		nla_strscpy(be->check, tb[L4LB_A_BE_CHECK], sizeof(be->check));
		ln->genid++;
	}
	notify(info, L4LB_CMD_BACKEND_SET, fill_backend, be);
out:
	mutex_unlock(&ln->lock);
	return ret;
}

static int backend_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct l4lb_backend *be;
	int ret = 0;

	mutex_lock(&ln->lock);
	be = find_backend(ln, info->attrs, info->extack);
	if (IS_ERR(be)) {
		ret = PTR_ERR(be);
	} else {
		/* Its last counters, while the lock still holds it. */
		notify(info, L4LB_CMD_BACKEND_DEL, fill_backend, be);
		l4lb_backend_remove(ln, be);
	}
	mutex_unlock(&ln->lock);
	return ret;
}

/*
 * The backends of the service named in the request, or of every service.
 * cb->args[0]: services done; cb->args[1]: backends of the next one done.
 */
static int backend_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct l4lb_net *ln = l4lb_net(sock_net(skb->sk));
	struct l4lb_service *svc, *only = NULL;
	long si = 0, bi;
	struct l4lb_backend *be;
	int ret = 0;
	void *hdr;

	mutex_lock(&ln->lock);
	if (info->attrs[L4LB_A_SVC_PROTO] || info->attrs[L4LB_A_SVC_ADDR4] ||
	    info->attrs[L4LB_A_SVC_ADDR6] || info->attrs[L4LB_A_SVC_PORT]) {
		only = find_service(ln, info->attrs, cb->extack);
		if (IS_ERR(only)) {
			ret = PTR_ERR(only);
			goto out;
		}
	}
	cb->seq = ln->genid;
	list_for_each_entry(svc, &ln->svc_list, list) {
		if ((only && svc != only) || si++ < cb->args[0])
			continue;
		bi = 0;
		list_for_each_entry(be, &svc->backends, list) {
			if (bi++ < cb->args[1])
				continue;
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq,
					  &l4lb_genl_family, NLM_F_MULTI,
					  L4LB_CMD_BACKEND_GET);
			if (!hdr)
				goto full;
			genl_dump_check_consistent(cb, hdr);
			if (put_backend(skb, be)) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
			cb->args[1] = bi;
		}
		cb->args[0] = si;
		cb->args[1] = 0;
	}
full:
	ret = skb->len;
out:
	mutex_unlock(&ln->lock);
	return ret;
}

/*
 * Which backend @svc gives the client named in the request: the one its
 * flow has, or its persistence template, or the one sh or mh would pick
 * (what every balancer of an ECMP group must agree on, but for what one
 * balancer's table holds). Nothing changes: no flow is made, no rr turn
 * taken.
 */
static int backend_pick_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_net(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct l4lb_backend *be = NULL;
	struct l4lb_service *svc;
	struct l4lb_orig_key key;
	struct l4lb_conn *conn;
	struct l4lb_pool *pool;
	struct sk_buff *msg;
	bool from_flow = false;
	union nf_inet_addr caddr;
	__be16 cport = 0;
	void *hdr;
	int ret, family;

	family = get_addr(tb, L4LB_A_FLOW_CADDR4, L4LB_A_FLOW_CADDR6,
			  info->extack, &caddr);
	if (family < 0)
		return family;
	if (!family) {
		NL_SET_ERR_MSG(info->extack, "a client is named by its address and port");
		NL_REQ_ATTR_CHECK(info->extack, NULL, tb, L4LB_A_FLOW_CADDR4);
		return -EINVAL;
	}
	if (tb[L4LB_A_FLOW_CPORT])
		cport = htons(nla_get_u16(tb[L4LB_A_FLOW_CPORT]));
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&ln->lock);
	svc = find_service(ln, tb, info->extack);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto out;
	}
	if (svc->key.family != family) {
		ret = -EINVAL;
		NL_SET_ERR_MSG(info->extack,
			       "the client's address is not of the service's family");
		goto out;
	}
	/* The flow, its backend and the pool stay valid until the unlock. */
	rcu_read_lock();
	l4lb_orig_key_svc(&key, svc, &caddr, cport);
	conn = l4lb_conn_lookup_orig(ln, &key);
	if (!(conn && l4lb_conn_alive(conn, l4lb_now())) && svc->persist) {
		l4lb_tpl_key(&key, svc, svc->persist, &caddr);
		conn = l4lb_conn_lookup_orig(ln, &key);
		if (conn && l4lb_backend_gone(conn->be))
			conn = NULL;
	}
	if (conn && l4lb_conn_alive(conn, l4lb_now())) {
		be = conn->be;
		from_flow = true;
	} else if (l4lb_sched_hashes(svc->sched)) {
		pool = rcu_dereference(svc->pool);
		if (pool)
			be = l4lb_sched_pick(svc, pool, ln->hash_seed, &caddr,
					     cport, NULL);
	}
	ret = -ENOENT;
	if (!be) {
		if (l4lb_sched_hashes(svc->sched))
			NL_SET_ERR_MSG(info->extack, "the service has no backend to pick");
		else
			NL_SET_ERR_MSG(info->extack,
				       "no flow or template of this client, and rr, wrr, lc and wlc choose when a flow begins: only sh and mh pick by the client");
		goto out_rcu;
	}
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &l4lb_genl_family, 0,
				L4LB_CMD_BACKEND_PICK);
	if (!hdr || put_backend(msg, be) ||
	    (from_flow && nla_put_flag(msg, L4LB_A_PICK_FLOW)))
		goto out_rcu;
	genlmsg_end(msg, hdr);
	ret = 0;
out_rcu:
	rcu_read_unlock();
out:
	mutex_unlock(&ln->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
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
		.cmd = L4LB_CMD_SERVICE_SET,
		.doit = service_set_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = svc_set_policy,
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
	{
		.cmd = L4LB_CMD_BACKEND_NEW,
		.doit = backend_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = be_new_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_BACKEND_SET,
		.doit = backend_set_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = be_set_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_BACKEND_DEL,
		.doit = backend_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = be_key_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_BACKEND_GET,
		.dumpit = backend_get_dumpit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = svc_key_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_FLOW_GET,
		.dumpit = flow_get_dumpit,
		.done = flow_get_done,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = be_key_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_SETTINGS_GET,
		.doit = settings_get_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = L4LB_CMD_SETTINGS_SET,
		.doit = settings_set_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = settings_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_FLOW_FLUSH,
		.doit = flow_flush_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = be_key_policy,
		.maxattr = L4LB_A_MAX,
	},
	{
		.cmd = L4LB_CMD_BACKEND_PICK,
		.doit = backend_pick_doit,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = pick_policy,
		.maxattr = L4LB_A_MAX,
	},
};

/* Joining needs CAP_NET_ADMIN in the namespace, like every command. */
static const struct genl_multicast_group l4lb_genl_mcgrps[] = {
	{ .name = L4LB_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family l4lb_genl_family __ro_after_init = {
	.name = L4LB_GENL_NAME,
	.version = L4LB_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.ops = l4lb_genl_ops,
	.n_ops = ARRAY_SIZE(l4lb_genl_ops),
	.mcgrps = l4lb_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(l4lb_genl_mcgrps),
};

int __init l4lb_genl_init(void)
{
	return genl_register_family(&l4lb_genl_family);
}

void l4lb_genl_uninit(void)
{
	genl_unregister_family(&l4lb_genl_family);
}
