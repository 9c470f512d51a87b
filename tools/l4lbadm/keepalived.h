/* SPDX-License-Identifier: GPL-2.0 */
#ifndef L4LBADM_KEEPALIVED_H
#define L4LBADM_KEEPALIVED_H

#include "l4lbadm.h"

/*
 * A statement of keepalived.conf: a keyword, its values on the same line,
 * and the statements of its block if a { follows (on its line or the next).
 */
struct ka_node {
	char *kw;
	char **arg;
	int nargs;
	const char *file;
	int line;
	bool block;
	struct ka_node *child, *next;
};

/* keepalived_parse.c: the file (and what it includes) as statements. */
struct ka_node *ka_parse(struct import *im, const char *file);
void ka_free(struct ka_node *n);

/* Timings, set at virtual server, real server or checker; -1: not said. */
struct ka_timing {
	double delay_loop, connect_timeout;
	long retry;
};

struct ka;
struct ka_chk;		/* keepalived_check.c's */

/* What becomes of a keyword: @map's doing, or refused for @refused. */
struct ka_kw {
	const char *name;
	void (*map)(struct ka *ka, const struct ka_node *n,
		    const struct ka_kw *e);
	const char *refused;	/* why l4lb has no equivalent (yet) */
};

struct ka {
	struct import im;		/* the l4lbadm lines */
	FILE *checks;			/* healthd's lines */
	char *checks_out;
	size_t checks_len;
	unsigned int udp_timeout;
	struct ka_timing *t;		/* the level timings now go to */
	struct ka_chk *chk;		/* the checker being read */
	struct {			/* the virtual server being read */
		const char *proto, *sched, *vhost;
		const struct ka_node *stateless;	/* its ops */
		const struct ka_node *sorry;		/* its sorry_server */
		bool hash_port;
		unsigned long persist;			/* seconds, 0: off */
		const struct ka_node *granularity;	/* its netmask */
		struct addr addr;
		uint16_t port;
		struct ka_timing t;
		const struct ka_node **rs;
		size_t n_rs;
	} vs;
	struct {			/* the real server being read */
		unsigned long weight;
		long max_conns, min_conns;	/* u/lthreshold; -1: not said */
		const char *vhost;
		const struct ka_node *check;
		struct addr addr;
		uint16_t port;
		char name[64];		/* ADDRESS:PORT */
		struct ka_timing t;
	} rs;
};

/* keepalived.c */
void ka_refuse(struct ka *ka, const struct ka_node *n, const char *why);
const char *ka_arg(struct ka *ka, const struct ka_node *n);
double ka_seconds(struct ka *ka, const struct ka_node *n, double max);
long ka_count(struct ka *ka, const struct ka_node *n, long max);
void ka_walk(struct ka *ka, const struct ka_node *n,
	     const struct ka_kw *const *tables, bool pass_unknown);
void ka_only_off(struct ka *ka, const struct ka_node *n,
		 const struct ka_kw *e);
extern const struct ka_kw ka_timing_kw[];

/* keepalived_check.c: a real server's checker as healthd's check line. */
void ka_check(struct ka *ka, const struct ka_node *n, const char *svc);

#endif /* L4LBADM_KEEPALIVED_H */
