/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_CONN_H
#define _L4LB_CONN_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/l4lb.h>

#include "backend.h"
#include "service.h"

/* Entries a full table looks at for an unassured flow to evict. */
#define L4LB_EVICT_SCAN		64U

struct l4lb_net;

/*
 * States of a flow. TCP:
 *
 *   SYN (no ACK) from the client    -> SYN_SEEN     timeout syn (30 s)
 *   SYN-ACK from the backend        -> SYN_RECV     timeout syn
 *   ACK (no SYN) from the client    -> ESTABLISHED  timeout established (900 s)
 *   the client's FIN, established   -> FIN_WAIT     timeout fin-wait (120 s)
 *   the backend's FIN, established  -> CLOSE_WAIT   timeout fin-wait
 *   the other side's FIN, a RST, or
 *   a FIN before ESTABLISHED        -> CLOSING      timeout closing (10 s)
 *   SYN (no ACK) on a CLOSING flow: the flow is replaced, scheduled anew.
 *
 * A FIN closes one direction only: the other side of a half-closed
 * connection may send for as long as it likes (a request, then FIN, then a
 * long answer), so FIN_WAIT and CLOSE_WAIT live fin-wait, refreshed by
 * every packet, as conntrack's and IPVS's FIN_WAIT do. CLOSING's deadline
 * is set when the flow enters it, and only a packet with data moves it
 * (a connection a forged RST closed goes on): no bare ACK extends it.
 *
 * Adopted (sh and mh only, whose choice any balancer can repeat): a
 * client's packet without SYN and with no flow (a connection another
 * balancer began, or one that outlived its flow) makes an ADOPTED flow, as
 * does the client's ACK on SYN_SEEN (the SYN-ACK passed another balancer);
 * a backend's packet with no flow an ADOPTED_REPLY one (a SYN-ACK a
 * SYN_RECV one), as does the backend's packet on SYN_RECV (the client's
 * ACK passed another). Either is ESTABLISHED once the other end speaks
 * (without RST). Behind ECMP a balancer may see one direction only, so
 * both live the established timeout, but unassured: evictable.
 *
 * UDP: a session is UDP_UNREPLIED from its first datagram until its
 * backend answers, UDP_REPLIED from then until a packet either way comes
 * L4LB_UDP_ASSURE_DELAY or more after that answer (as conntrack assures a
 * UDP stream), then UDP. All live the service's timeout.
 *
 * PERSIST is no flow: a persistence template (persist.c), in the client
 * side's table only, never in a packet's way, never changing state.
 *
 * A flow is assured once both ends have spoken, and the UDP stream lasted
 * (ESTABLISHED, FIN_WAIT, CLOSE_WAIT, UDP). A full table evicts any other
 * (SYN_SEEN, SYN_RECV, ADOPTED, ADOPTED_REPLY, CLOSING, UDP_UNREPLIED,
 * UDP_REPLIED: all that forged packets can make or keep) to make room.
 */
enum l4lb_conn_state {
	L4LB_CONN_SYN_SEEN = L4LB_FLOW_SYN_SEEN,
	L4LB_CONN_ESTABLISHED = L4LB_FLOW_ESTABLISHED,
	L4LB_CONN_CLOSING = L4LB_FLOW_CLOSING,
	L4LB_CONN_UDP = L4LB_FLOW_UDP,
	L4LB_CONN_SYN_RECV = L4LB_FLOW_SYN_RECV,
	L4LB_CONN_UDP_UNREPLIED = L4LB_FLOW_UDP_UNREPLIED,
	L4LB_CONN_ADOPTED = L4LB_FLOW_ADOPTED,
	L4LB_CONN_ADOPTED_REPLY = L4LB_FLOW_ADOPTED_REPLY,
	L4LB_CONN_FIN_WAIT = L4LB_FLOW_FIN_WAIT,
	L4LB_CONN_CLOSE_WAIT = L4LB_FLOW_CLOSE_WAIT,
	L4LB_CONN_UDP_REPLIED = L4LB_FLOW_UDP_REPLIED,
	L4LB_CONN_PERSIST = L4LB_FLOW_PERSIST,
};

/* The TCP timeouts of a namespace (&l4lb_net.timeout), in jiffies. */
enum l4lb_conn_timeout {
	L4LB_TIMEOUT_SYN,
	L4LB_TIMEOUT_ESTABLISHED,
	L4LB_TIMEOUT_FIN_WAIT,
	L4LB_TIMEOUT_CLOSING,
	L4LB_TIMEOUT_COUNT,
};

/* How long after its backend's answer a UDP session's packet assures it. */
#define L4LB_UDP_ASSURE_DELAY	(2 * HZ)

/* May a full table evict it to make room for a new flow? */
static inline bool l4lb_conn_state_unassured(u8 state)
{
	return state != L4LB_CONN_ESTABLISHED && state != L4LB_CONN_FIN_WAIT &&
	       state != L4LB_CONN_CLOSE_WAIT && state != L4LB_CONN_UDP;
}

/**
 * struct l4lb_conn - one TCP flow or one UDP session (56 bytes for IPv4;
 *	an IPv6 flow is a &struct l4lb_conn6, 72 bytes, from a cache of its own)
 * @orig: in &l4lb_net.conn_orig, keyed by client address, client port (0
 *	for a UDP session: one per client address), and the service's
 *	address, port and protocol: what a client's packet holds, so the
 *	packet path finds its flow with this one lookup
 * @reply: in &l4lb_net.conn_reply, keyed by backend address and port,
 *	client address and port (0 for UDP), protocol
 * @users: a template's (@state PERSIST, never in &l4lb_net.conn_reply):
 *	its live flows, plus L4LB_TPL_LINKED while it is in the table; it is
 *	freed when that reaches 0 (persist.c)
 * @be: the backend; the conn holds a reference on it, and through it on
 *	the service
 * @caddr: the client's IPv4 address (unused by an IPv6 flow)
 * @deadline: jiffies (low 32 bits) after which the conn is expired
 * @cport: a TCP flow's client port, network order (a template's: its
 *	mask's prefix); a UDP session has none (its key's is 0,
 *	l4lb_conn_cport()), and keeps @answered in its place
 * @answered: the clock's low 16 bits when a UDP session's backend first
 *	answered (UDP_REPLIED); a wrap only delays the session's assurance
 * @state: &enum l4lb_conn_state; changed with cmpxchg (see conn.c)
 * @dead: 0 while the conn is live in both tables. Whoever moves it from
 *	0 to 1 (l4lb_conn_unlink()) owns its teardown; l4lb_conn_create()
 *	makes it 1 and publishes it with 0 only once both inserts succeeded,
 *	so a half-inserted conn is never torn down by anyone else
 * @v6: an IPv6 flow, inside a &struct l4lb_conn6; never changes
 * @local: made by a client on this machine (LOCAL_OUT, local-clients): only
 *	its own packets and its replies at LOCAL_IN use it; set once, as it
 *	is made, before its first packet leaves
 * @vport: the port the client sent to, network order: its service's port,
 *	or, for a port range, the packet's own (a flow per port); a portless
 *	backend (port 0) is sent to it and answers from it
 * @tpl: a flow's template (persistence), or NULL; the flow is counted in
 *	its @users until l4lb_conn_unlink(), which keeps the template's memory
 * @rcu: frees the conn once no packet can still see it; shares @tpl's
 *	space, which l4lb_conn_unlink() reads before call_rcu()
 */
struct l4lb_conn {
	struct rhash_head orig;
	union {
		struct rhash_head reply;
		atomic_t users;
	};
	struct l4lb_backend *be;
	__be32 caddr;
	u32 deadline;
	union {
		__be16 cport;
		u16 answered;
	};
	u8 state;
	u8 dead;
	u8 v6;
	u8 local;
	__be16 vport;
	union {
		struct l4lb_conn *tpl;
		struct rcu_head rcu;
	};
};

/**
 * struct l4lb_conn6 - an IPv6 flow (72 bytes): the family-blind flow, and
 *	the client's address that does not fit in it
 * @c: the flow, with @c.v6 set
 * @caddr: the client's IPv6 address
 */
struct l4lb_conn6 {
	struct l4lb_conn c;
	struct in6_addr caddr;
};

/* The client port @conn is keyed by; @proto its service's. */
static inline __be16 l4lb_conn_cport(const struct l4lb_conn *conn, u8 proto)
{
	return proto == IPPROTO_TCP || conn->state == L4LB_CONN_PERSIST ?
	       conn->cport : 0;
}

/* The port its backend has: a portless backend's is the client's VIP port. */
static inline __be16 l4lb_conn_bport(const struct l4lb_conn *conn)
{
	return conn->be->key.port ?: conn->vport;
}

static inline const struct in6_addr *l4lb_conn_caddr6(const struct l4lb_conn *c)
{
	return &container_of(c, struct l4lb_conn6, c)->caddr;
}

/* The client's address of either family, as netlink and tests want it. */
static inline void l4lb_conn_caddr(const struct l4lb_conn *conn,
				   union nf_inet_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (conn->v6)
		addr->in6 = *l4lb_conn_caddr6(conn);
	else
		addr->ip = conn->caddr;
}

/*
 * What a client's packet is looked up by: its source, and its destination
 * (a service's address and port) and protocol. An IPv4 key is the first
 * 16 bytes (four words to hash), an IPv6 key all 40 (ten words): @v6
 * tells which, and keeps the families apart. @tpl is 1 in a template's
 * key: no packet's key (any client port, 0 too) can name a template.
 */
struct l4lb_orig_key {
	__be16 cport;
	__be16 vport;
	u8 proto;
	u8 v6;
	u8 tpl;
	u8 pad;
	union {
		struct {
			__be32 caddr;
			__be32 vaddr;
		} ip;
		struct {
			struct in6_addr caddr;
			struct in6_addr vaddr;
		} ip6;
	};
};

/* What a backend's reply is looked up by, laid out the same way. */
struct l4lb_reply_key {
	__be16 bport;
	__be16 cport;
	u8 proto;
	u8 v6;
	u8 pad[2];
	union {
		struct {
			__be32 baddr;
			__be32 caddr;
		} ip;
		struct {
			struct in6_addr baddr;
			struct in6_addr caddr;
		} ip6;
	};
};

/* Words of a key to hash: its header, and its family's addresses. */
#define L4LB_KEY_HDR_LEN	8
#define L4LB_KEY4_WORDS		((L4LB_KEY_HDR_LEN + 8) / 4)
#define L4LB_KEY6_WORDS		((L4LB_KEY_HDR_LEN + 32) / 4)

/*
 * The key of a client's packet from @caddr:@cport to @vaddr:@vport: a TCP
 * flow is one port of the client, a UDP session every port of it (cport
 * 0). Only the words the family hashes are written.
 */
static inline void l4lb_orig_key_hdr(struct l4lb_orig_key *k, u8 proto,
				     bool v6, __be16 cport, __be16 vport)
{
	k->cport = proto == IPPROTO_TCP ? cport : 0;
	k->vport = vport;
	k->proto = proto;
	k->v6 = v6;
	k->tpl = 0;
	k->pad = 0;
}

static inline void l4lb_orig_key_init4(struct l4lb_orig_key *k, u8 proto,
				       __be32 caddr, __be16 cport,
				       __be32 vaddr, __be16 vport)
{
	l4lb_orig_key_hdr(k, proto, false, cport, vport);
	k->ip.caddr = caddr;
	k->ip.vaddr = vaddr;
}

static inline void l4lb_orig_key_init6(struct l4lb_orig_key *k, u8 proto,
				       const struct in6_addr *caddr,
				       __be16 cport,
				       const struct in6_addr *vaddr,
				       __be16 vport)
{
	l4lb_orig_key_hdr(k, proto, true, cport, vport);
	k->ip6.caddr = *caddr;
	k->ip6.vaddr = *vaddr;
}

/* The key of a backend's packet to a client; ports as above. */
static inline void l4lb_reply_key_hdr(struct l4lb_reply_key *k, u8 proto,
				      bool v6, __be16 bport, __be16 cport)
{
	k->bport = bport;
	k->cport = proto == IPPROTO_TCP ? cport : 0;
	k->proto = proto;
	k->v6 = v6;
	k->pad[0] = 0;
	k->pad[1] = 0;
}

static inline void l4lb_reply_key_init4(struct l4lb_reply_key *k, u8 proto,
					__be32 baddr, __be16 bport,
					__be32 caddr, __be16 cport)
{
	l4lb_reply_key_hdr(k, proto, false, bport, cport);
	k->ip.baddr = baddr;
	k->ip.caddr = caddr;
}

static inline void l4lb_reply_key_init6(struct l4lb_reply_key *k, u8 proto,
					const struct in6_addr *baddr,
					__be16 bport,
					const struct in6_addr *caddr,
					__be16 cport)
{
	l4lb_reply_key_hdr(k, proto, true, bport, cport);
	k->ip6.baddr = *baddr;
	k->ip6.caddr = *caddr;
}

void l4lb_orig_key_svc(struct l4lb_orig_key *k, const struct l4lb_service *svc,
		       const union nf_inet_addr *caddr, __be16 cport);
void l4lb_orig_key_port(struct l4lb_orig_key *k,
			const struct l4lb_service *svc,
			const union nf_inet_addr *caddr, __be16 cport,
			__be16 vport);
void l4lb_orig_key_svc4(struct l4lb_orig_key *k,
			const struct l4lb_service *svc, __be32 caddr,
			__be16 cport);

int l4lb_conn_init(void);
void l4lb_conn_uninit(void);
int l4lb_conn_table_init(struct l4lb_net *ln);
void l4lb_conn_table_uninit(struct l4lb_net *ln);

struct l4lb_conn *l4lb_conn_lookup_orig(struct l4lb_net *ln,
					const struct l4lb_orig_key *key);
struct l4lb_conn *l4lb_conn_lookup_reply(struct l4lb_net *ln,
					 const struct l4lb_reply_key *key);
/* Why l4lb_conn_create() made no flow (an &enum l4lb_drop_reason). */
struct l4lb_conn *l4lb_conn_create_tpl(struct l4lb_net *ln,
				       const struct l4lb_orig_key *key,
				       struct l4lb_backend *be, u8 state,
				       struct l4lb_conn *tpl, bool local,
				       bool *created, int *why);

static inline struct l4lb_conn *
l4lb_conn_create(struct l4lb_net *ln, const struct l4lb_orig_key *key,
		 struct l4lb_backend *be, u8 state, bool *created, int *why)
{
	return l4lb_conn_create_tpl(ln, key, be, state, NULL, false, created,
				    why);
}

void l4lb_conn_unlink(struct l4lb_net *ln, struct l4lb_conn *conn);
void l4lb_conn_evict(struct l4lb_net *ln, struct l4lb_conn *conn);

/* &l4lb_conn.users of a template: flags above its count of flows. */
#define L4LB_TPL_LINKED		BIT(30)
#define L4LB_TPL_RETIRED	BIT(29)

static inline bool l4lb_conn_is_tpl(const struct l4lb_conn *conn)
{
	/* A flow never becomes a template, nor a template anything else. */
	return conn->state == L4LB_CONN_PERSIST;
}

/* A template with a flow on it: it does not expire. */
static inline bool l4lb_tpl_busy(const struct l4lb_conn *conn)
{
	return l4lb_conn_is_tpl(conn) &&
	       (atomic_read(&conn->users) &
		~(L4LB_TPL_LINKED | L4LB_TPL_RETIRED));
}

bool l4lb_tpl_take(struct l4lb_conn *tpl);
void l4lb_tpl_put(struct l4lb_net *ln, struct l4lb_conn *tpl);
bool l4lb_tpl_retire(struct l4lb_net *ln, struct l4lb_conn *tpl,
		     bool expired_only);

static inline bool l4lb_conn_expired(const struct l4lb_conn *conn, u32 now)
{
	return (s32)(now - READ_ONCE(conn->deadline)) >= 0;
}

/*
 * May the packet path still use it? Not once expired (a template with
 * flows on it does not expire), dead or orphaned. Under RCU: the flow
 * pins its backend, which pins its service.
 */
static inline bool l4lb_conn_alive(const struct l4lb_conn *conn, u32 now)
{
	return !READ_ONCE(conn->dead) &&
	       (!l4lb_conn_expired(conn, now) || l4lb_tpl_busy(conn)) &&
	       !READ_ONCE(conn->be->svc->dead);
}

bool l4lb_conn_advance(struct l4lb_net *ln, struct l4lb_conn *conn,
		       u8 from, u8 to);
void l4lb_conn_closing(struct l4lb_net *ln, struct l4lb_conn *conn);
void l4lb_conn_fin(struct l4lb_net *ln, struct l4lb_conn *conn,
		   bool from_client);
void l4lb_conn_udp_answer(struct l4lb_net *ln, struct l4lb_conn *conn);
void l4lb_conn_data(struct l4lb_net *ln, struct l4lb_conn *conn);
void l4lb_conn_refresh(struct l4lb_net *ln, struct l4lb_conn *conn);
u32 l4lb_conn_timeout(const struct l4lb_net *ln, const struct l4lb_conn *conn);

unsigned int l4lb_conn_buckets(struct l4lb_net *ln);
u32 l4lb_conn_table_gen(struct l4lb_net *ln);
int l4lb_conn_for_bucket(struct l4lb_net *ln, unsigned int idx,
			 unsigned int *size,
			 int (*fn)(struct l4lb_conn *conn, void *arg), void *arg);
/*
 * Calls @fn on every flow with rhashtable's walker, which follows resizes
 * and rehashes (a flow may be seen twice, none is missed), yielding every
 * L4LB_SWEEP_BUDGET flows; stops at @fn's first non-zero return.
 * Process context; @fn runs under RCU.
 */
int l4lb_conn_walk(struct l4lb_net *ln,
		   int (*fn)(struct l4lb_conn *conn, void *arg), void *arg);

/* The clock of every deadline: tests can move it. */
#if IS_ENABLED(CONFIG_L4LB_KUNIT_TEST)
extern u32 l4lb_clock_offset;
#endif
static inline u32 l4lb_now(void)
{
#if IS_ENABLED(CONFIG_L4LB_KUNIT_TEST)
	return (u32)jiffies + READ_ONCE(l4lb_clock_offset);
#else
	return (u32)jiffies;
#endif
}

#endif /* _L4LB_CONN_H */
