/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_CONN_H
#define _L4LB_CONN_H

#include <linux/in.h>
#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/l4lb.h>

/* Entries a full table looks at for a half-open flow to evict. */
#define L4LB_EVICT_SCAN		64U

struct l4lb_backend;
struct l4lb_net;
struct l4lb_service;

/*
 * States of a TCP flow. A UDP session is always L4LB_CONN_UDP.
 *
 *   SYN (no ACK) from the client   -> SYN_SEEN     timeout syn (30 s)
 *   any packet from the backend    -> ESTABLISHED  timeout established (900 s)
 *   FIN or RST, either direction   -> CLOSING      timeout closing (10 s)
 *   SYN (no ACK) on a CLOSING flow: the flow is replaced, scheduled anew.
 */
enum l4lb_conn_state {
	L4LB_CONN_SYN_SEEN = L4LB_FLOW_SYN_SEEN,
	L4LB_CONN_ESTABLISHED = L4LB_FLOW_ESTABLISHED,
	L4LB_CONN_CLOSING = L4LB_FLOW_CLOSING,
	L4LB_CONN_UDP = L4LB_FLOW_UDP,
};

/**
 * struct l4lb_conn - one TCP flow or one UDP session (64 bytes)
 * @orig: in &l4lb_net.conn_orig, keyed by client address, client port (0
 *	for a UDP session: one per client address) and service
 * @reply: in &l4lb_net.conn_reply, keyed by backend address and port,
 *	client address and port (0 for UDP), protocol
 * @caddr: the client's address
 * @be: the backend; the conn holds a reference on it, and through it on
 *	the service
 * @deadline: jiffies (low 32 bits) after which the conn is expired
 * @cport: the client's port, network order; 0 for a UDP session
 * @state: &enum l4lb_conn_state; changed with cmpxchg (see conn.c)
 * @dead: set once, by whoever unlinks the conn (packet path or sweep)
 * @rcu: frees the conn once no packet can still see it
 */
struct l4lb_conn {
	struct rhash_head orig;
	struct rhash_head reply;
	union nf_inet_addr caddr;
	struct l4lb_backend *be;
	u32 deadline;
	__be16 cport;
	u8 state;
	u8 dead;
	struct rcu_head rcu;
};

/* What the packet path looks a client's flow up by. */
struct l4lb_orig_key {
	union nf_inet_addr caddr;
	const struct l4lb_service *svc;
	__be16 cport;
	u16 pad;
};

/* What a backend's reply is looked up by. */
struct l4lb_reply_key {
	union nf_inet_addr baddr;
	union nf_inet_addr caddr;
	__be16 bport;
	__be16 cport;
	u8 proto;
	u8 pad[3];
};

/*
 * The key of a client's packet to @svc: a TCP flow is one port of the
 * client, a UDP session every port of it (cport 0).
 */
static inline void l4lb_orig_key_init4(struct l4lb_orig_key *k,
				       const struct l4lb_service *svc,
				       u8 proto, __be32 caddr, __be16 cport)
{
	memset(k, 0, sizeof(*k));
	k->caddr.ip = caddr;
	k->svc = svc;
	k->cport = proto == IPPROTO_TCP ? cport : 0;
}

/* The key of a backend's packet to a client; ports as above. */
static inline void l4lb_reply_key_init4(struct l4lb_reply_key *k, u8 proto,
					__be32 baddr, __be16 bport,
					__be32 caddr, __be16 cport)
{
	memset(k, 0, sizeof(*k));
	k->baddr.ip = baddr;
	k->bport = bport;
	k->caddr.ip = caddr;
	k->cport = proto == IPPROTO_TCP ? cport : 0;
	k->proto = proto;
}

int l4lb_conn_init(void);
void l4lb_conn_uninit(void);
int l4lb_conn_table_init(struct l4lb_net *ln);
void l4lb_conn_table_uninit(struct l4lb_net *ln);

struct l4lb_conn *l4lb_conn_lookup_orig(struct l4lb_net *ln,
					const struct l4lb_orig_key *key);
struct l4lb_conn *l4lb_conn_lookup_reply(struct l4lb_net *ln,
					 const struct l4lb_reply_key *key);
struct l4lb_conn *l4lb_conn_create(struct l4lb_net *ln,
				   const struct l4lb_orig_key *key,
				   struct l4lb_backend *be, u8 state);
void l4lb_conn_unlink(struct l4lb_net *ln, struct l4lb_conn *conn);

bool l4lb_conn_expired(const struct l4lb_conn *conn, u32 now);
bool l4lb_conn_alive(const struct l4lb_conn *conn, u32 now);
void l4lb_conn_established(struct l4lb_net *ln, struct l4lb_conn *conn);
void l4lb_conn_closing(struct l4lb_net *ln, struct l4lb_conn *conn);
void l4lb_conn_refresh(struct l4lb_net *ln, struct l4lb_conn *conn);
u32 l4lb_conn_timeout(const struct l4lb_net *ln, const struct l4lb_conn *conn);

unsigned int l4lb_conn_buckets(struct l4lb_net *ln);
int l4lb_conn_for_bucket(struct l4lb_net *ln, unsigned int idx,
			 unsigned int *size,
			 int (*fn)(struct l4lb_conn *conn, void *arg), void *arg);
/*
 * Calls @fn on every flow, a bucket at a time under RCU, yielding between
 * buckets; stops at @fn's first non-zero return. A resize meanwhile may
 * make it miss or repeat flows. Process context.
 */
int l4lb_conn_walk(struct l4lb_net *ln,
		   int (*fn)(struct l4lb_conn *conn, void *arg), void *arg);

/* The clock of every deadline: tests can move it. */
u32 l4lb_now(void);
#if IS_ENABLED(CONFIG_L4LB_KUNIT_TEST)
extern u32 l4lb_clock_offset;
#endif

#endif /* _L4LB_CONN_H */
