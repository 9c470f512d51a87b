// SPDX-License-Identifier: GPL-2.0
/*
 * Where l4lb meets the packet: its netfilter hooks, registered in a
 * namespace only while that namespace has a service, so a namespace
 * without one pays nothing per packet. Everything here runs under the RCU
 * read lock that nf_hook() holds, with bottom halves off (softirq, or
 * l4lb_hook_bh_off() turns them off).
 *
 * The flow logic here is family-blind: it reads a &struct l4lb_pkt, and
 * what differs by family (parsing, rewriting, resets) is in small
 * functions: IPv4's in this file and nat.c, IPv6's in hooks6.c and nat6.c.
 */

#include <linux/icmp.h>
#include <linux/if.h>
#include <linux/netdevice.h>
#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/netfilter/ipv6/nf_reject.h>

#include "backend.h"
#include "conn.h"
#include "departed.h"
#include "expiry.h"
#include "hooks.h"
#include "nat.h"
#include "netns.h"
#include "persist.h"
#include "pkt.h"
#include "sched.h"
#include "service.h"
#include "stats.h"

/*
 * False for what l4lb never touches: other protocols, fragments, and
 * transport headers too short to hold ports (the stack drops those).
 * Nothing here assumes the transport header is in the linear part: each
 * read copies into a buffer of the size it asks for.
 */
static __always_inline bool pkt_parse(struct sk_buff *skb, struct l4lb_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return false;
	/* A raw socket's header may claim under 20 bytes at LOCAL_OUT. */
	if (unlikely(iph->ihl < 5))
		return false;
	/* Ours are reassembled (in_defrag()); a fragment here is not ours. */
	if (ip_is_fragment(iph))
		return false;
	p->saddr.ip = iph->saddr;
	p->daddr.ip = iph->daddr;
	p->proto = iph->protocol;
	p->v6 = false;
	p->local = false;
	p->thoff = ip_hdrlen(skb);
	return l4lb_pkt_ports(skb, p);
}

bool l4lb_pkt_parse4(struct sk_buff *skb, struct l4lb_pkt *p)
{
	return pkt_parse(skb, p);
}

/*
 * An ICMP error (unreachable, time exceeded, parameter problem) quoting a
 * TCP or UDP packet: fills @in with the quoted packet's addresses and ports.
 */
bool l4lb_icmp_parse4(struct sk_buff *skb, struct l4lb_pkt *in)
{
	unsigned int off = ip_hdrlen(skb);
	const struct icmphdr *ih;
	const struct iphdr *iph;
	const struct udphdr *ports;
	struct icmphdr _ih;
	struct iphdr _iph;
	/* Its first 8 bytes: the rewrite touches ports and UDP checksum. */
	struct udphdr _ports;

	if (ip_is_fragment(ip_hdr(skb)))
		return false;
	ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
	if (!ih || (ih->type != ICMP_DEST_UNREACH &&
		    ih->type != ICMP_TIME_EXCEEDED &&
		    ih->type != ICMP_PARAMETERPROB))
		return false;
	off += sizeof(_ih);
	iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
	if (!iph || iph->ihl < 5 || (iph->frag_off & htons(IP_OFFSET)) ||
	    (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP))
		return false;
	ports = skb_header_pointer(skb, off + iph->ihl * 4, sizeof(_ports),
				   &_ports);
	if (!ports)
		return false;
	in->saddr.ip = iph->saddr;
	in->daddr.ip = iph->daddr;
	in->sport = ports->source;
	in->dport = ports->dest;
	in->proto = iph->protocol;
	in->v6 = false;
	in->thoff = off + iph->ihl * 4;
	return true;
}

/* The per-family keys, from addresses of either family. */
static void pkt_orig_key(struct l4lb_orig_key *k, const struct l4lb_pkt *p,
			 const union nf_inet_addr *caddr, __be16 cport,
			 const union nf_inet_addr *vaddr, __be16 vport)
{
	if (p->v6)
		l4lb_orig_key_init6(k, p->proto, &caddr->in6, cport,
				    &vaddr->in6, vport);
	else
		l4lb_orig_key_init4(k, p->proto, caddr->ip, cport, vaddr->ip,
				    vport);
}

static void pkt_reply_key(struct l4lb_reply_key *k, const struct l4lb_pkt *p,
			  const union nf_inet_addr *baddr, __be16 bport,
			  const union nf_inet_addr *caddr, __be16 cport)
{
	if (p->v6)
		l4lb_reply_key_init6(k, p->proto, &baddr->in6, bport,
				     &caddr->in6, cport);
	else
		l4lb_reply_key_init4(k, p->proto, baddr->ip, bport, caddr->ip,
				     cport);
}

static void pkt_be_key(struct l4lb_be_key *k, const struct l4lb_pkt *p,
		       const union nf_inet_addr *addr, __be16 port)
{
	if (p->v6)
		l4lb_be_key_init6(k, p->proto, &addr->in6, port);
	else
		l4lb_be_key_init4(k, p->proto, addr->ip, port);
}

static void pkt_svc_key(struct l4lb_svc_key *k, const struct l4lb_pkt *p)
{
	if (p->v6)
		l4lb_svc_key_init6(k, p->proto, &p->daddr.in6, p->dport);
	else
		l4lb_svc_key_init4(k, p->proto, p->daddr.ip, p->dport);
}

static u8 pkt_family(const struct l4lb_pkt *p)
{
	return p->v6 ? AF_INET6 : AF_INET;
}

/* The packet's source or destination becomes @addr:@port. */
static int pkt_nat(struct sk_buff *skb, const struct l4lb_pkt *p, bool src,
		   const union nf_inet_addr *addr, __be16 port)
{
	if (p->v6)
		return l4lb_nat6(skb, p->thoff, p->proto, src, &addr->in6,
				 port);
	return l4lb_nat4(skb, src, addr->ip, port);
}

/*
 * An ICMP error the rewrite refused: dropped, counted as @svc's no_memory
 * when it was; a corrupt one (-EBADMSG) is dropped as nf_nat drops it.
 */
static unsigned int icmp_nat_failed(struct l4lb_service *svc, int err)
{
	if (err == -ENOMEM)
		l4lb_stats_drop(svc->stats, L4LB_DROP_NO_MEMORY);
	return NF_DROP;
}

/*
 * An error about one of our replies (VIP to client), sent back to the VIP
 * by a router on the client's path ("fragmentation needed", "packet too
 * big" for path MTU discovery): hand it to the backend that sent the
 * reply, as if the backend had been addressed.
 */
unsigned int l4lb_icmp_in(struct l4lb_net *ln, struct sk_buff *skb,
			  const struct l4lb_pkt *in, unsigned int icmpoff)
{
	__be32 vaddr = l4lb_addr_fold(&in->saddr, pkt_family(in));
	struct l4lb_orig_key key;
	struct l4lb_backend *be;
	struct l4lb_conn *conn;
	int ret;

	if (!l4lb_vip_seen(ln, vaddr, in->sport, in->proto) &&
	    !l4lb_vip_range_seen(ln, vaddr, in->proto))
		return NF_ACCEPT;
	/*
	 * The quoted packet is our reply: VIP to client. Not a local
	 * client's: its replies never leave this machine, so an error about
	 * one from outside is forged (as flow_in() refuses such packets).
	 */
	pkt_orig_key(&key, in, &in->daddr, in->dport, &in->saddr, in->sport);
	conn = l4lb_conn_lookup_orig(ln, &key);
	if (!conn || READ_ONCE(conn->local) ||
	    !l4lb_conn_alive(conn, l4lb_now()))
		return NF_ACCEPT;
	be = conn->be;
	if (in->v6)
		ret = l4lb_nat6_icmp_in(skb, icmpoff, in->thoff, in->proto,
					&be->key.addr.in6,
					l4lb_conn_bport(conn));
	else
		ret = l4lb_nat4_icmp_in(skb, icmpoff, be->key.addr.ip,
					l4lb_conn_bport(conn));
	if (ret)
		return icmp_nat_failed(be->svc, ret);
	/* Routed anew, to the backend: see in_rewrite(). */
	skb_dst_drop(skb);
	return NF_ACCEPT;
}

/*
 * A packet from a removed backend's address and port with no flow (a
 * retransmission of a flow flushed or expired, an answer of a session
 * that moved, an ICMP error about a client's packet to it: @state NULL):
 * dropped and counted, unless it stays on this machine, as out_no_flow()
 * does for a backend still there. Others pass.
 */
static unsigned int out_departed(struct l4lb_net *ln,
				 const struct l4lb_be_key *key,
				 const struct nf_hook_state *state)
{
	struct l4lb_departed *d;
	struct l4lb_be_key k;

	/* No backend answers from port 0 (backend_of()). */
	if (!key->port ||
	    (state && state->out && (state->out->flags & IFF_LOOPBACK)))
		return NF_ACCEPT;
	d = l4lb_departed_lookup(ln, key);
	if (!d) {
		/* A portless backend's, from a port of its service. */
		k = *key;
		k.port = 0;
		d = l4lb_departed_lookup(ln, &k);
		if (!d ||
		    !l4lb_svc_has_port(rcu_dereference(d->svc), key->port))
			return NF_ACCEPT;
	}
	l4lb_stats_drop(rcu_dereference(d->svc)->stats, L4LB_DROP_STRAY);
	return NF_DROP;
}

/*
 * Does backend @be answer from port @port (network order): its own port,
 * or, if it has none, any of its service's?
 */
static bool be_answers_from(const struct l4lb_backend *be, __be16 port)
{
	return be->key.port || l4lb_svc_has_port(be->svc, port);
}

/*
 * Under RCU: of the backends sharing @be's key (a TCP server several
 * services share), the next after @be that answers from @port, or NULL.
 */
static struct l4lb_backend *backend_next_of(const struct l4lb_backend *be,
					    __be16 port)
{
	struct l4lb_backend *next = l4lb_backend_next(be);

	while (next && !be_answers_from(next, port))
		next = l4lb_backend_next(next);
	return next;
}

/*
 * The backend a packet from @key's address and port with no flow is from,
 * the first of those sharing its key (backend_next_of() the others): one
 * of that port, else a portless backend of that address (port 0, in the
 * same table) whose service has that port. Only packets with no flow pay
 * the second lookup; a flow's reply is found by its own ports.
 */
static struct l4lb_backend *backend_of(struct l4lb_net *ln,
				       const struct l4lb_be_key *key)
{
	struct l4lb_backend *be;
	struct l4lb_be_key k;

	/* No backend answers from port 0: a portless one is keyed so. */
	if (!key->port)
		return NULL;
	be = l4lb_backend_lookup(ln, key);
	if (be || !l4lb_be_seen(ln, l4lb_addr_fold(&key->addr, key->family),
				0, key->proto))
		return be;
	k = *key;
	k.port = 0;
	be = l4lb_backend_lookup(ln, &k);
	if (be && !be_answers_from(be, key->port))
		be = backend_next_of(be, key->port);
	return be;
}

/*
 * The port a backend's packet leaves with, as the service's: the
 * service's own, or, from a portless backend, the one it came from (the
 * client's VIP port).
 */
static __be16 svc_port_of(const struct l4lb_backend *be, __be16 port)
{
	return be->key.port ? be->svc->key.port : port;
}

/*
 * The error quoting @in, a client's packet to @be, quotes it as sent to
 * @be's VIP, and comes from the VIP if @be sent it.
 */
static unsigned int icmp_out_nat(struct sk_buff *skb,
				 const struct l4lb_pkt *in,
				 unsigned int icmpoff,
				 const struct l4lb_backend *be,
				 const union nf_inet_addr *outer_saddr)
{
	struct l4lb_service *svc = be->svc;
	bool from_be = nf_inet_addr_cmp(outer_saddr, &be->key.addr);
	__be16 port = svc_port_of(be, in->dport);
	int ret;

	if (in->v6)
		ret = l4lb_nat6_icmp_out(skb, icmpoff, in->thoff, in->proto,
					 &svc->key.addr.in6, port, from_be);
	else
		ret = l4lb_nat4_icmp_out(skb, icmpoff, svc->key.addr.ip, port,
					 from_be);
	return ret ? icmp_nat_failed(svc, ret) : NF_ACCEPT;
}

/*
 * An error about a client's packet (client to backend) on its way to the
 * client, from the backend (port unreachable) or a router between: it must
 * quote the packet as the client sent it, to the VIP, and never show the
 * backend's address.
 */
unsigned int l4lb_icmp_out(struct l4lb_net *ln, struct sk_buff *skb,
			   const struct l4lb_pkt *in, unsigned int icmpoff,
			   const union nf_inet_addr *outer_saddr)
{
	struct l4lb_reply_key rkey;
	struct l4lb_backend *be;
	struct l4lb_be_key bkey;
	struct l4lb_conn *conn;

	pkt_reply_key(&rkey, in, &in->daddr, in->dport, &in->saddr, in->sport);
	conn = l4lb_conn_lookup_reply(ln, &rkey);
	if (conn && l4lb_conn_alive(conn, l4lb_now()))
		return icmp_out_nat(skb, in, icmpoff, conn->be, outer_saddr);
	pkt_be_key(&bkey, in, &in->daddr, in->dport);
	be = backend_of(ln, &bkey);
	/* About a removed backend: it would show its address. */
	if (!be)
		return out_departed(ln, &bkey, NULL);
	/* With no flow, a stateless UDP service's backend only. */
	if (in->proto == IPPROTO_UDP &&
	    (READ_ONCE(be->svc->flags) & L4LB_SVC_F_STATELESS))
		return icmp_out_nat(skb, in, icmpoff, be, outer_saddr);
	return NF_ACCEPT;
}

/*
 * The local client's flow (local.c) that a packet from @baddr:@bport to
 * @caddr:@cport answers, or NULL. Under RCU.
 */
static struct l4lb_conn *local_flow(struct l4lb_net *ln,
				    const struct l4lb_pkt *p,
				    const union nf_inet_addr *baddr,
				    __be16 bport,
				    const union nf_inet_addr *caddr,
				    __be16 cport)
{
	struct l4lb_reply_key rkey;
	struct l4lb_conn *conn;

	pkt_reply_key(&rkey, p, baddr, bport, caddr, cport);
	conn = l4lb_conn_lookup_reply(ln, &rkey);
	return conn && READ_ONCE(conn->local) ? conn : NULL;
}

/* @conn is a local client's flow whose service still has local-clients. */
static bool local_flow_on(const struct l4lb_conn *conn)
{
	/* The flag changes in place (l4lb_service_set_flags()). */
	return conn &&
	       (READ_ONCE(conn->be->svc->flags) & L4LB_SVC_F_LOCAL_CLIENTS);
}

/*
 * An error about a local client's packet (client to backend: local.c, at
 * LOCAL_IN), from the backend or a router between: rewritten as
 * l4lb_icmp_out() does, so that the client's socket, connected to the
 * VIP, learns it (a path's MTU, a refused port). Only a local flow's:
 * anything else is this machine's own business.
 */
unsigned int l4lb_local_icmp(struct l4lb_net *ln, struct sk_buff *skb,
			     const struct l4lb_pkt *in, unsigned int icmpoff,
			     const union nf_inet_addr *outer_saddr)
{
	struct l4lb_conn *conn = local_flow(ln, in, &in->daddr, in->dport,
					   &in->saddr, in->sport);

	if (!local_flow_on(conn) || !l4lb_conn_alive(conn, l4lb_now()))
		return NF_ACCEPT;
	return icmp_out_nat(skb, in, icmpoff, conn->be, outer_saddr);
}

/*
 * A client's packet of @svc with no usable flow: schedule a new one. A TCP
 * packet other than a SYN is adopted if @svc hashes (sh, mh): any balancer
 * would pick the backend the connection began with, unless the backends
 * changed since; other schedulers cannot know it, and drop the packet. A
 * persistent service's new flow goes where the client's template says
 * (persist.c), and is counted on it; so does an adopted one if this
 * balancer has the template (else the hash's, which hashes the client's
 * network as the template is keyed: sched.c).
 */
static struct l4lb_conn *conn_new(struct l4lb_net *ln, struct l4lb_service *svc,
				  const struct l4lb_orig_key *key,
				  const struct l4lb_pkt *p, int *why)
{
	u8 state = L4LB_CONN_UDP_UNREPLIED;
	struct l4lb_conn *conn, *tpl = NULL;
	struct l4lb_backend *be;
	struct l4lb_pool *pool;
	bool created, full = false;
	u32 persist;

	if (p->proto == IPPROTO_TCP) {
		state = p->syn ? L4LB_CONN_SYN_SEEN : L4LB_CONN_ADOPTED;
		if (!p->syn && !l4lb_sched_hashes(svc->sched)) {
			*why = L4LB_DROP_NO_FLOW;
			return NULL;
		}
	}
	/*
	 * Connection limits hold a new flow back, never an adopted one: the
	 * connection exists already, on the backend the hash picks (any other
	 * would answer it with a RST), and that backend serves it whatever
	 * this balancer's count says.
	 */
	persist = READ_ONCE(svc->persist);
	if (persist && state == L4LB_CONN_ADOPTED)
		tpl = l4lb_persist_find(ln, svc, persist, &p->saddr);
	if (tpl) {
		/* Adopted: the template's backend began the connection. */
		be = tpl->be;
	} else if (persist && state != L4LB_CONN_ADOPTED) {
		/* The client's template's backend, or a new template's. */
		be = l4lb_persist_pick(ln, svc, persist, &p->saddr, p->sport,
				       &tpl, &full);
	} else {
		pool = rcu_dereference(svc->pool);
		be = pool ? l4lb_sched_pick(svc, pool,
					    READ_ONCE(ln->hash_seed),
					    &p->saddr, p->sport,
					    state == L4LB_CONN_ADOPTED ?
					    NULL : &full) : NULL;
	}
	if (!be) {
		*why = full ? L4LB_DROP_BACKENDS_FULL : L4LB_DROP_NO_BACKEND;
		return NULL;
	}
	/*
	 * A local client's is marked before it is in the tables: another
	 * packet of its client (a UDP session's, from any port) meeting it
	 * unmarked would pass unbalanced, to the VIP.
	 */
	conn = l4lb_conn_create_tpl(ln, key, be, state, tpl, p->local, &created,
				    why);
	/* The template counted a flow that is not made, or not this one. */
	if (tpl && !created)
		l4lb_tpl_put(ln, tpl);
	if (created) {
		l4lb_stats_conn(svc->stats, state == L4LB_CONN_ADOPTED);
		l4lb_stats_conn(conn->be->stats, state == L4LB_CONN_ADOPTED);
	}
	return conn;
}

/*
 * A client's packet, sent to backend @be of its service, and counted. A
 * route it came with (a packet looped back, IPsec transport mode) was the
 * VIP's, a local delivery: dropped, so the stack routes it to the
 * backend, as nf_nat does when it changes a destination. A local client's
 * keeps its route, which local.c replaces (ip_route_me_harder() reads it).
 */
static __always_inline unsigned int in_rewrite(struct l4lb_backend *be,
					       struct sk_buff *skb,
					       const struct l4lb_pkt *p)
{
	struct l4lb_service *svc = be->svc;

	/* A portless backend is sent to the port the client asked for. */
	if (pkt_nat(skb, p, false, &be->key.addr, be->key.port ?: p->dport)) {
		l4lb_stats_drop(svc->stats, L4LB_DROP_NO_MEMORY);
		return NF_DROP;
	}
	if (!p->local)
		skb_dst_drop(skb);
	l4lb_stats_packet(svc->stats, true, skb->len);
	l4lb_stats_packet(be->stats, true, skb->len);
	return NF_ACCEPT;
}

/*
 * Stateless UDP (DNS): every datagram is scheduled on its own. So is a
 * client's RST of an sh or mh service with no flow: it reaches the
 * backend the hash picks, and leaves nothing behind.
 */
static unsigned int in_stateless(struct l4lb_net *ln, struct l4lb_service *svc,
				 struct sk_buff *skb, const struct l4lb_pkt *p)
{
	struct l4lb_pool *pool = rcu_dereference(svc->pool);
	struct l4lb_backend *be;

	/* No limits: stateless services keep no count, a RST ends a flow. */
	be = pool ? l4lb_sched_pick(svc, pool, READ_ONCE(ln->hash_seed),
				    &p->saddr, p->sport, NULL) : NULL;
	if (!be) {
		l4lb_stats_drop(svc->stats, L4LB_DROP_NO_BACKEND);
		return NF_DROP;
	}
	return in_rewrite(be, skb, p);
}

/*
 * The client's ACK: an answer to the backend's SYN-ACK or adopted packet,
 * so both ends spoke (ESTABLISHED). Under sh or mh an ACK of a SYN-ACK
 * this balancer never saw (it passed another) makes the flow ADOPTED.
 */
static void client_ack(struct l4lb_net *ln, struct l4lb_service *svc,
		       struct l4lb_conn *conn)
{
	u8 state = READ_ONCE(conn->state);

	if (state == L4LB_CONN_SYN_RECV || state == L4LB_CONN_ADOPTED_REPLY)
		l4lb_conn_advance(ln, conn, state, L4LB_CONN_ESTABLISHED);
	else if (state == L4LB_CONN_SYN_SEEN && l4lb_sched_hashes(svc->sched))
		l4lb_conn_advance(ln, conn, state, L4LB_CONN_ADOPTED);
	else
		l4lb_conn_refresh(ln, conn);
}

/*
 * A client's flow that makes way for a new one: expired; a UDP session
 * whose backend is down or deleted (it moves: UDP has no connection to
 * break); a TCP flow whose backend is down, with down-flows drop or reset;
 * and for a SYN, a new connection on the ports of one that is closing or
 * whose backend is down, deleted or drained: scheduled afresh, never sent
 * to the old backend nor dropped.
 */
static bool conn_stale(const struct l4lb_net *ln, const struct l4lb_conn *conn,
		       const struct l4lb_pkt *p, u32 now)
{
	const struct l4lb_backend *be = conn->be;

	if (!l4lb_conn_alive(conn, now) || l4lb_conn_backend_down(ln, conn) ||
	    l4lb_backend_down_drops(ln, be))
		return true;
	return p->syn && (READ_ONCE(conn->state) == L4LB_CONN_CLOSING ||
			  l4lb_backend_gone(be) || !READ_ONCE(be->weight));
}

/*
 * A client's TCP packet of a flow whose backend is down, with down-flows
 * reset: the client gets a RST from the VIP (none for a RST), so it
 * reconnects at once instead of retransmitting into a dead server. A local
 * client's packet keeps its route (it has no device to find one from):
 * the RST takes it back.
 */
static unsigned int in_reset(struct l4lb_net *ln, struct l4lb_service *svc,
			     struct sk_buff *skb, const struct l4lb_pkt *p)
{
	int hook = p->local ? NF_INET_LOCAL_OUT : NF_INET_PRE_ROUTING;

	/* nf_reject_fill_skb_dst() sets a route on it: none may be held. */
	if (!p->local)
		skb_dst_drop(skb);
	if (p->v6)
		nf_send_reset6(ln->net, NULL, skb, hook);
	else
		nf_send_reset(ln->net, NULL, skb, hook);
	l4lb_stats_drop(svc->stats, L4LB_DROP_BACKEND_DOWN);
	return NF_DROP;
}

/*
 * A client's packet with no usable flow, to service @svc (@key its flow's
 * key): stateless, or a new flow. @backend_down: its flow was just ended
 * because its backend is down.
 */
static unsigned int in_new(struct l4lb_net *ln, struct l4lb_service *svc,
			   struct sk_buff *skb, const struct l4lb_pkt *p,
			   const struct l4lb_orig_key *key, bool backend_down)
{
	struct l4lb_conn *conn;
	int why;

	if ((READ_ONCE(svc->flags) & L4LB_SVC_F_STATELESS) ||
	    (p->rst && l4lb_sched_hashes(svc->sched)))
		return in_stateless(ln, svc, skb, p);
	conn = conn_new(ln, svc, key, p, &why);
	/* Another CPU's flow of the key, made a moment ago: of its kind only. */
	if (!conn || READ_ONCE(conn->local) != p->local ||
	    !l4lb_conn_alive(conn, l4lb_now())) {
		if (conn)
			why = L4LB_DROP_NO_FLOW;
		else if (backend_down && why == L4LB_DROP_NO_FLOW)
			why = L4LB_DROP_BACKEND_DOWN;
		l4lb_stats_drop(svc->stats, why);
		return NF_DROP;
	}
	return in_rewrite(conn->be, skb, p);
}

/* A local client's packet (@p->local) is balanced only for such services. */
static __always_inline bool svc_local_ok(const struct l4lb_service *svc,
					 const struct l4lb_pkt *p)
{
	/* The flag changes in place (l4lb_service_set_flags()). */
	return !p->local || (READ_ONCE(svc->flags) & L4LB_SVC_F_LOCAL_CLIENTS);
}

/*
 * A backend's reply to a local client whose address is a VIP (a socket
 * connecting to a VIP on lo takes the VIP as its own source): to the VIP,
 * maybe at a port that is a service's, but LOCAL_IN's (local.c), never a
 * new client's packet. Asked only of a packet with no flow of its own.
 */
static bool local_reply(struct l4lb_net *ln, const struct l4lb_pkt *p)
{
	return l4lb_be_port_seen(ln, l4lb_addr_fold(&p->saddr, pkt_family(p)),
				 p->sport, p->proto) &&
	       local_flow(ln, p, &p->saddr, p->sport, &p->daddr, p->dport);
}

/*
 * Client to VIP: a packet of a live flow is found with one lookup, by what
 * it holds (the flow knows its service); only a packet with no usable flow
 * looks its service up, to make one. A local client's packet of a service
 * without local-clients (or no longer with it) is left alone.
 */
static __always_inline unsigned int flow_in(struct l4lb_net *ln,
					    struct sk_buff *skb,
					    const struct l4lb_pkt *p)
{
	struct l4lb_service *svc;
	struct l4lb_orig_key key;
	struct l4lb_svc_key skey;
	struct l4lb_conn *conn;
	bool backend_down = false;

	pkt_orig_key(&key, p, &p->saddr, p->sport, &p->daddr, p->dport);
	conn = l4lb_conn_lookup_orig(ln, &key);
	/*
	 * A local client's flow is not for a packet from outside that forges
	 * this machine's address as its source (routing drops it as a
	 * martian after this hook: it must not close or refresh the flow
	 * first). A remote flow under this machine's address was made by
	 * such a packet: a local client's packet takes the key back, or one
	 * forged datagram a timeout would keep the client unbalanced.
	 */
	if (conn && READ_ONCE(conn->local) != p->local) {
		if (!p->local)
			return NF_ACCEPT;
		l4lb_conn_unlink(ln, conn);
		/* Unlinked, it stays valid until the RCU section ends. */
		conn = NULL;
	}
	if (conn && !svc_local_ok(conn->be->svc, p))
		return NF_ACCEPT;
	if (conn && !conn_stale(ln, conn, p, l4lb_now())) {
		if (p->rst)
			l4lb_conn_closing(ln, conn);
		else if (p->fin)
			l4lb_conn_fin(ln, conn, true);
		else if (p->ack)
			client_ack(ln, conn->be->svc, conn);
		else
			l4lb_conn_refresh(ln, conn);
		if (p->data)
			l4lb_conn_data(ln, conn);
		return in_rewrite(conn->be, skb, p);
	}
	if (conn) {
		backend_down = p->proto == IPPROTO_TCP && !p->syn &&
			       l4lb_backend_down_drops(ln, conn->be);
		l4lb_conn_unlink(ln, conn);
		/* Unlinked, it stays valid until the RCU section ends. */
		if (backend_down &&
		    READ_ONCE(ln->down_flows) == L4LB_DOWN_FLOWS_RESET)
			return in_reset(ln, conn->be->svc, skb, p);
	}
	if (unlikely(READ_ONCE(ln->hooks_on) &
		     (L4LB_HOOKS_LOCAL4 | L4LB_HOOKS_LOCAL6)) &&
	    !p->local && local_reply(ln, p))
		return NF_ACCEPT;
	pkt_svc_key(&skey, p);
	svc = l4lb_service_lookup_pkt(ln, &skey);
	if (!svc || !svc_local_ok(svc, p))
		return NF_ACCEPT;
	return in_new(ln, svc, skb, p, &key, backend_down);
}

/*
 * For hooks6.c. IPv4's hook has flow_in() inlined, where its packet is
 * known to be IPv4: every family branch folds away, and IPv4 pays nothing
 * for IPv6.
 */
unsigned int l4lb_in(struct l4lb_net *ln, struct sk_buff *skb,
		     const struct l4lb_pkt *p)
{
	return flow_in(ln, skb, p);
}

/*
 * A fragment to a VIP, or from a backend (its reply is rewritten at
 * POST_ROUTING): reassembled here, as nf_defrag_ipv4 would (with its
 * queues: if conntrack's reassembly runs in this namespace, it came first
 * and no fragment gets here), and as IPVS does. Only such fragments pay;
 * a hook of nf_defrag_ipv4 would cost every packet a call. False: the
 * fragment waits for the rest, or was freed (too many, too late); either
 * way it is no longer the stack's.
 */
static bool in_defrag(struct net *net, struct sk_buff *skb)
{
	/* Bottom halves off (l4lb_pre_routing()): as ip_defrag() wants. */
	if (ip_defrag(net, skb, IP_DEFRAG_CONNTRACK_IN))
		return false;
	/* Forwarded whole: fragmented again on the way out if it must be. */
	skb->ignore_df = 1;
	return true;
}

static unsigned int pre_routing(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_net(state->net);
	const struct iphdr *iph = ip_hdr(skb);
	bool to_vip = l4lb_vip_addr_seen(ln, iph->daddr);
	struct l4lb_pkt p;

	/*
	 * Sent by this machine and looped back (to a VIP on lo): a local
	 * client's, balanced at LOCAL_OUT if its service has local-clients
	 * (local.c), else the local stack's, as any packet to its own address.
	 */
	if (unlikely(state->in->flags & IFF_LOOPBACK))
		return NF_ACCEPT;
	if (unlikely(ip_is_fragment(iph)) &&
	    (to_vip || l4lb_be_addr_seen(ln, iph->saddr)) &&
	    !in_defrag(state->net, skb))
		return NF_STOLEN;
	/* Replies and passing traffic: not to a VIP, not even parsed. */
	if (!to_vip)
		return NF_ACCEPT;
	if (ip_hdr(skb)->protocol == IPPROTO_ICMP)
		return l4lb_icmp_parse4(skb, &p) ?
		       l4lb_icmp_in(ln, skb, &p, ip_hdrlen(skb)) : NF_ACCEPT;
	if (!pkt_parse(skb, &p) ||
	    (!l4lb_vip_seen(ln, p.daddr.ip, p.dport, p.proto) &&
	     !l4lb_vip_range_seen(ln, p.daddr.ip, p.proto)))
		return NF_ACCEPT;
	return flow_in(ln, skb, &p);
}

unsigned int l4lb_pre_routing(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	return l4lb_hook_bh_off(pre_routing, priv, skb, state);
}

/*
 * A backend's packet other than SYN, FIN or RST: an adopted flow's backend
 * knows the connection (ESTABLISHED). Under sh or mh, one after the SYN-ACK
 * means the client's ACK passed another balancer (ADOPTED_REPLY).
 */
static void backend_packet(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	u8 state = READ_ONCE(conn->state);

	if (state == L4LB_CONN_ADOPTED)
		l4lb_conn_advance(ln, conn, state, L4LB_CONN_ESTABLISHED);
	else if (state == L4LB_CONN_SYN_RECV &&
		 l4lb_sched_hashes(conn->be->svc->sched))
		l4lb_conn_advance(ln, conn, state, L4LB_CONN_ADOPTED_REPLY);
	else
		l4lb_conn_refresh(ln, conn);
}

/* A backend's packet to a client, sent as the service's VIP:port. */
static __always_inline unsigned int out_rewrite(struct l4lb_backend *be,
						struct sk_buff *skb,
						const struct l4lb_pkt *p)
{
	struct l4lb_service *svc = be->svc;

	if (pkt_nat(skb, p, true, &svc->key.addr, svc_port_of(be, p->sport))) {
		l4lb_stats_drop(svc->stats, L4LB_DROP_NO_MEMORY);
		return NF_DROP;
	}
	l4lb_stats_packet(svc->stats, false, skb->len);
	l4lb_stats_packet(be->stats, false, skb->len);
	return NF_ACCEPT;
}

/* Backend to client, a flow's reply: the source becomes the VIP again. */
static unsigned int l4lb_out(struct l4lb_net *ln, struct l4lb_conn *conn,
			     struct sk_buff *skb, const struct l4lb_pkt *p)
{
	struct l4lb_service *svc = conn->be->svc;

	/* Expired but not yet unlinked: don't show the client the backend. */
	if (!l4lb_conn_alive(conn, l4lb_now())) {
		l4lb_stats_drop(svc->stats, L4LB_DROP_NO_FLOW);
		return NF_DROP;
	}
	/* Down, with down-flows drop or reset: the client never hears it. */
	if (l4lb_backend_down_drops(ln, conn->be)) {
		/* With reset, a TCP flow stays for its client's RST. */
		if (l4lb_conn_backend_down(ln, conn) ||
		    READ_ONCE(ln->down_flows) != L4LB_DOWN_FLOWS_RESET)
			l4lb_conn_unlink(ln, conn);
		l4lb_stats_drop(svc->stats, L4LB_DROP_BACKEND_DOWN);
		return NF_DROP;
	}
	if (p->rst)
		l4lb_conn_closing(ln, conn);
	else if (p->fin)
		l4lb_conn_fin(ln, conn, false);
	else if (p->synack)
		l4lb_conn_advance(ln, conn, L4LB_CONN_SYN_SEEN,
				  L4LB_CONN_SYN_RECV);
	else if (p->proto == IPPROTO_UDP)
		l4lb_conn_udp_answer(ln, conn);
	else
		backend_packet(ln, conn);
	if (p->data)
		l4lb_conn_data(ln, conn);
	return out_rewrite(conn->be, skb, p);
}

/*
 * A backend's packet with no flow, of an sh or mh service: a connection
 * whose client reaches the backend through another balancer (ECMP), or
 * that outlived its flow here. The flow is adopted, so the client's next
 * packets through this balancer reach the same backend, and the packet
 * leaves as the VIP's. A RST ends what no flow holds: passed, nothing made.
 * Never dropped but for a backend down with down-flows drop, or no room.
 */
static unsigned int out_adopt(struct l4lb_net *ln, struct l4lb_backend *be,
			      struct sk_buff *skb, const struct l4lb_pkt *p)
{
	struct l4lb_service *svc = be->svc;
	u8 state = L4LB_CONN_UDP_UNREPLIED;
	struct l4lb_orig_key key;
	struct l4lb_conn *conn;
	bool created;
	int why;

	if (l4lb_backend_down_drops(ln, be)) {
		l4lb_stats_drop(svc->stats, L4LB_DROP_BACKEND_DOWN);
		return NF_DROP;
	}
	if (p->rst)
		return out_rewrite(be, skb, p);
	/*
	 * A late answer of a UDP backend that is gone (down, deleted, a
	 * fallback on standby): it leaves as the VIP's, but makes no session
	 * the client's next datagram would only move.
	 */
	if (p->proto == IPPROTO_UDP && l4lb_backend_gone(be))
		return out_rewrite(be, skb, p);
	if (p->proto == IPPROTO_TCP)
		state = p->synack ? L4LB_CONN_SYN_RECV : L4LB_CONN_ADOPTED_REPLY;
	l4lb_orig_key_port(&key, svc, &p->daddr, p->dport,
			   svc_port_of(be, p->sport));
	conn = l4lb_conn_create(ln, &key, be, state, &created, &why);
	if (!conn) {
		l4lb_stats_drop(svc->stats, why);
		return NF_DROP;
	}
	if (created) {
		l4lb_stats_conn(svc->stats, true);
		l4lb_stats_conn(be->stats, true);
	}
	/*
	 * If the client's flow here is another backend's (balancers that
	 * adopted it across a change of the backend set disagree), the
	 * packet still leaves as the VIP's: this backend serves the client
	 * through another balancer, and a drop would black-hole a UDP
	 * session until it expired. The flow is left as it is.
	 */
	return out_rewrite(be, skb, p);
}

/*
 * Of a TCP server several services share (@be the first of their
 * backends that answer from @port: backend_of()), the one whose service
 * could adopt a packet with no flow: the only one that hashes (sh, mh),
 * or NULL. Services that do not hash own
 * no packet without a flow; with several that do, the VIP is ambiguous.
 * Bounded by the services sharing the server, not by any table.
 */
static struct l4lb_backend *out_owner(struct l4lb_backend *be, __be16 port)
{
	struct l4lb_backend *owner = NULL;

	for (; be; be = backend_next_of(be, port)) {
		if (!l4lb_sched_hashes(be->svc->sched))
			continue;
		if (owner)
			return NULL;
		owner = be;
	}
	return owner;
}

/*
 * A packet from a backend's address and port (@be) with no flow: a
 * stateless service's reply, rewritten; an sh or mh service's, adopted
 * (above); anything else would show the client the backend (a
 * retransmission or FIN of a flow flushed, evicted or expired under it):
 * dropped and counted, as IPVS does for its real servers. Traffic that
 * stays on this machine (a local health checker talking to a local
 * backend) is none of l4lb's business.
 *
 * A TCP server shared by several services (one backend of each, @be the
 * first) sends nothing that names the VIP: the packet is adopted only if
 * exactly one of those services hashes (out_owner()), else dropped as
 * stray, counted on @be's service. A client of an sh or mh service loses
 * little: its own next packet is adopted on the client side. A removed
 * service's late packet (departed.c) adopted by a remaining one that
 * hashes leaves as the wrong VIP: its client answers with a RST, which
 * ends on the server a connection no flow here held any more.
 */
static unsigned int out_no_flow(struct l4lb_net *ln, struct l4lb_backend *be,
				struct sk_buff *skb, const struct l4lb_pkt *p,
				const struct nf_hook_state *state)
{
	struct l4lb_backend *owner;

	if (READ_ONCE(be->svc->flags) & L4LB_SVC_F_STATELESS)
		return out_rewrite(be, skb, p);
	if (state->out && (state->out->flags & IFF_LOOPBACK))
		return NF_ACCEPT;
	owner = out_owner(be, p->sport);
	if (owner)
		return out_adopt(ln, owner, skb, p);
	l4lb_stats_drop(be->svc->stats, L4LB_DROP_STRAY);
	return NF_DROP;
}

/* Backend to client, family-blind: @p is a packet from a backend's port. */
static __always_inline unsigned int
flow_reply(struct l4lb_net *ln, struct sk_buff *skb, const struct l4lb_pkt *p,
	   const struct nf_hook_state *state)
{
	struct l4lb_reply_key rkey;
	struct l4lb_be_key bkey;
	struct l4lb_backend *be;
	struct l4lb_conn *conn;

	pkt_reply_key(&rkey, p, &p->saddr, p->sport, &p->daddr, p->dport);
	conn = l4lb_conn_lookup_reply(ln, &rkey);
	if (conn)
		return l4lb_out(ln, conn, skb, p);
	pkt_be_key(&bkey, p, &p->saddr, p->sport);
	be = backend_of(ln, &bkey);
	if (be)
		return out_no_flow(ln, be, skb, p, state);
	return out_departed(ln, &bkey, state);
}

/*
 * A backend's packet to a client on this machine (local.c, at LOCAL_IN):
 * a flow's reply, as flow_reply() treats it, if the flow's service has
 * local-clients. Anything else from a backend to this machine (a health
 * check's answer) is this machine's own business: passed untouched,
 * never adopted nor dropped.
 */
unsigned int l4lb_local_reply(struct l4lb_net *ln, struct sk_buff *skb,
			      const struct l4lb_pkt *p)
{
	struct l4lb_conn *conn = local_flow(ln, p, &p->saddr, p->sport,
					   &p->daddr, p->dport);

	if (!local_flow_on(conn))
		return NF_ACCEPT;
	return l4lb_out(ln, conn, skb, p);
}

/* For hooks6.c, as l4lb_in(). */
unsigned int l4lb_reply(struct l4lb_net *ln, struct sk_buff *skb,
			const struct l4lb_pkt *p,
			const struct nf_hook_state *state)
{
	return flow_reply(ln, skb, p, state);
}

static unsigned int post_routing(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_net(state->net);
	struct l4lb_pkt p;

	if (state->pf == NFPROTO_IPV6)
		return l4lb_post_routing6(ln, skb, state);
	if (ip_hdr(skb)->protocol == IPPROTO_ICMP) {
		/* Compared whole with a backend's address: no stale words. */
		union nf_inet_addr outer_saddr = {};

		if (!l4lb_icmp_parse4(skb, &p))
			return NF_ACCEPT;
		outer_saddr.ip = ip_hdr(skb)->saddr;
		return l4lb_icmp_out(ln, skb, &p, ip_hdrlen(skb), &outer_saddr);
	}
	/* Client packets and passing traffic: not from a backend. */
	if (!l4lb_be_addr_seen(ln, ip_hdr(skb)->saddr) || !pkt_parse(skb, &p) ||
	    !l4lb_be_port_seen(ln, p.saddr.ip, p.sport, p.proto))
		return NF_ACCEPT;
	return flow_reply(ln, skb, &p, state);
}

/*
 * Replies of a backend on this machine arrive here in process context;
 * forwarded packets, in softirq already, pay nothing for bottom halves.
 */
unsigned int l4lb_post_routing(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	return l4lb_hook_bh_off(post_routing, priv, skb, state);
}

static const struct nf_hook_ops l4lb_nf_ops[] = {
	/*
	 * Client to VIP: rewrite the destination before routing, so the
	 * route is the backend's. After conntrack's defragmentation (-400)
	 * where it runs, before conntrack (-200): with nf_conntrack loaded it
	 * tracks client <-> backend in both directions and nf_nat never sees
	 * the VIP, so nothing is NATed twice.
	 */
	{
		.hook = l4lb_pre_routing,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 10,
	},
	/*
	 * Backend to client: rewrite the source back to the VIP after
	 * routing, because a packet arriving with a local source address
	 * would be dropped as a martian by the input route lookup. After
	 * nf_nat's SNAT (100), so a masquerade rule cannot undo it.
	 */
	{
		.hook = l4lb_post_routing,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC + 1,
	},
};

/*
 * IPv6's, at the same places. nf_defrag_ipv6 (-400, enabled with them)
 * has reassembled fragments by then.
 */
static const struct nf_hook_ops l4lb_nf6_ops[] = {
	{
		.hook = l4lb_pre_routing6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK - 10,
	},
	{
		.hook = l4lb_post_routing,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC + 1,
	},
};

static int hooks6_register(struct l4lb_net *ln)
{
	int ret;

	ret = nf_defrag_ipv6_enable(ln->net);
	if (ret)
		return ret;
	ret = nf_register_net_hooks(ln->net, l4lb_nf6_ops,
				    ARRAY_SIZE(l4lb_nf6_ops));
	if (ret)
		nf_defrag_ipv6_disable(ln->net);
	return ret;
}

static void hooks6_unregister(struct l4lb_net *ln)
{
	nf_unregister_net_hooks(ln->net, l4lb_nf6_ops, ARRAY_SIZE(l4lb_nf6_ops));
	nf_defrag_ipv6_disable(ln->net);
}

/* @family's hooks, for a service of it about to be added. */
int l4lb_hooks_register(struct l4lb_net *ln, u8 family)
{
	u8 bit = family == AF_INET6 ? L4LB_HOOKS_V6 : L4LB_HOOKS_V4;
	int ret;

	lockdep_assert_held(&ln->lock);

	if (ln->hooks_on & bit)
		return 0;
	if (bit == L4LB_HOOKS_V6)
		ret = hooks6_register(ln);
	else
		ret = nf_register_net_hooks(ln->net, l4lb_nf_ops,
					    ARRAY_SIZE(l4lb_nf_ops));
	if (ret)
		return ret;
	WRITE_ONCE(ln->hooks_on, ln->hooks_on | bit);
	l4lb_expiry_start(ln);
	return 0;
}

static void hooks_off(struct l4lb_net *ln, u8 bit)
{
	if (!(ln->hooks_on & bit))
		return;
	/*
	 * Packets already inside the hooks go on (RCU): what they use is
	 * freed after a grace period, or after netns.c's pre_exit.
	 */
	if (bit == L4LB_HOOKS_V6)
		hooks6_unregister(ln);
	else
		nf_unregister_net_hooks(ln->net, l4lb_nf_ops,
					ARRAY_SIZE(l4lb_nf_ops));
	WRITE_ONCE(ln->hooks_on, ln->hooks_on & ~bit);
}

/* Off for each family that has no service left. */
void l4lb_hooks_sync(struct l4lb_net *ln)
{
	lockdep_assert_held(&ln->lock);

	l4lb_local_hooks_sync(ln);
	if (!ln->n_services6)
		hooks_off(ln, L4LB_HOOKS_V6);
	if (ln->n_services == ln->n_services6)
		hooks_off(ln, L4LB_HOOKS_V4);
}

void l4lb_hooks_unregister(struct l4lb_net *ln)
{
	lockdep_assert_held(&ln->lock);

	l4lb_local_hooks_unregister(ln);
	hooks_off(ln, L4LB_HOOKS_V6);
	hooks_off(ln, L4LB_HOOKS_V4);
}
