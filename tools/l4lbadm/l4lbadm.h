/* SPDX-License-Identifier: GPL-2.0 */
#ifndef L4LBADM_H
#define L4LBADM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/l4lb.h>

/* An IPv4 or an IPv6 address. */
struct addr {
	int family;	/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/*
 * What names a service: l4lbadm's words "tcp 10.0.0.1:5432" or
 * "tcp [2001:db8::1]:443"; a port range "tcp 10.0.0.1:5060-5080", every
 * port "udp 10.0.0.1:*" (1-65535).
 */
struct svc_id {
	uint8_t proto;
	struct addr addr;
	uint16_t port;
	uint16_t last;	/* a range's last port; 0: @port alone */
};

struct stats {
	uint64_t conns, adopted, pkts_in, bytes_in, pkts_out, bytes_out;
	uint64_t drops[__L4LB_DROP_MAX];
};

/* One counter of struct stats (service.c's stat_fields). */
struct stat_field {
	const char *json;	/* its name in JSON */
	const char *column;	/* its heading in l4lbadm stats */
	int width;		/* and that column's width */
	size_t offset;		/* where struct stats keeps it */
	int attr;		/* its L4LB_STATS_A_* */
};

#define N_STAT_FIELDS	(6 + __L4LB_DROP_MAX)
#define STAT_FIRST_DROP	6	/* the drops follow the traffic */

extern const struct stat_field stat_fields[N_STAT_FIELDS];
uint64_t *stat_ptr(struct stats *st, unsigned int i);
uint64_t stat_value(const struct stats *st, unsigned int i);

struct svc_info {
	struct svc_id id;
	uint8_t sched;
	uint32_t flags;
	uint32_t udp_timeout;
	uint32_t persist;	/* seconds; 0: off */
	uint8_t netmask;	/* prefix length, while persistent */
	uint32_t active;
	struct stats stats;
};

struct be_info {
	struct svc_id svc;
	struct addr addr;
	uint16_t port;
	uint16_t weight;
	uint32_t active;
	uint8_t health;		/* enum l4lb_health */
	bool fallback;		/* the service's fallback server */
	uint32_t health_since;	/* seconds */
	uint32_t max_conns;	/* 0: no limit */
	uint32_t min_conns;	/* the lower limit in force (0: no limit) */
	bool full;		/* takes no new flow: at its limit */
	char check[L4LB_CHECK_LEN_MAX];
	struct stats stats;
};

/* nl.c: the only file that talks to the kernel. */
struct nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t portid;
	uint32_t seq;
	uint32_t events_group;	/* id of L4LB_MCGRP_EVENTS, 0 if none */
	char ext_msg[256];	/* the kernel's extack text of the last error */
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint8_t cmd,
			uint16_t flags);
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int nl_dump(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	    void (*reset)(void *data));
int nl_listen(struct nl *nl, mnl_cb_t cb, void *data, void (*lost)(void));

/* parse.c: pure functions from words to values; false on bad input. */
bool parse_proto(const char *s, uint8_t *proto);
bool parse_addr(const char *s, struct addr *addr);
bool parse_addr_port(const char *s, struct addr *addr, uint16_t *port);
bool addr_eq(const struct addr *a, const struct addr *b);
const char *fmt_addr(const struct addr *addr);
const char *fmt_addr_port(const struct addr *addr, uint16_t port);
bool parse_svc_addr(const char *s, struct addr *addr, uint16_t *port,
		    uint16_t *last);
bool parse_be_addr(const char *s, struct addr *addr, uint16_t *port);
const char *fmt_svc_addr(const struct svc_id *id);
const char *family_name(int family);
bool parse_sched(const char *s, uint8_t *sched);
const char *proto_name(uint8_t proto);
const char *sched_name(uint8_t sched);
const char *fmt_duration(uint32_t seconds);
bool svc_id_eq(const struct svc_id *a, const struct svc_id *b);
long long parse_seconds(const char *s);

/* main.c */
extern bool json;
extern bool dry_run;
extern bool timestamps;
int run_command(int argc, char **argv);
extern const char *prog;
void vsay(const char *what, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fail_nl(struct nl *nl, const char *what);
void open_family(struct nl *nl);
void *grow(void *v, size_t *cap, size_t n, size_t size);

/* service.c */
int cmd_service(struct nl *nl, int argc, char **argv);
int cmd_list(struct nl *nl, int argc, char **argv);
void put_svc_id(struct nlmsghdr *nlh, const struct svc_id *id);
void parse_svc_id(int argc, char **argv, struct svc_id *id);
void parse_stats(const struct nlattr *nest, struct stats *st);
void put_addr(struct nlmsghdr *nlh, int a4, int a6, const struct addr *addr);
bool get_addr(const struct nlattr **tb, int a4, int a6, struct addr *addr);
int parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb);
bool parse_svc_msg(const struct nlmsghdr *nlh, struct svc_info *info);
int list_services(struct nl *nl, struct svc_info **out, size_t *n);
size_t get_services(struct nl *nl, struct svc_info **out);
void print_service_add(const struct svc_info *s);
void print_stats_json(const struct stats *st);
void print_json_str(const char *s);
void print_be_state_json(const struct be_info *be);
const char *be_state(const struct be_info *be);

/* settings.c: values in the order max-flows, timeout-syn,
 * timeout-established, timeout-fin-wait, timeout-closing, down-flows,
 * hash-seed. */
struct settings {
	uint32_t value[7];
	uint32_t flows;
};

void get_settings(struct nl *nl, struct settings *st);
void parse_settings_msg(const struct nlmsghdr *nlh, struct settings *st);
void print_set_line(const struct settings *st);
void print_settings_json(const char *members, const struct settings *st);
void set_settings(struct nl *nl, const struct settings *st);
int cmd_settings(struct nl *nl, int argc, char **argv);
int cmd_set(struct nl *nl, int argc, char **argv);

/* batch.c */
int cmd_save(struct nl *nl, int argc, char **argv);
int cmd_restore(struct nl *nl, int argc, char **argv);
int restore_stream(struct nl *nl, FILE *f);

/* import.c: what the import-* verbs share. */
struct import {
	const char *verb;	/* "import-ipvsadm": the refusals' prefix */
	FILE *mem;		/* the lines made so far */
	char *out;
	size_t len;
	int errors;		/* refusals */
	struct import_udp *udp;	/* UDP real servers taken: import_udp() */
	size_t n_udp;
};

void import_start(struct import *im, const char *verb);
void import_refuse(struct import *im, const char *file, int line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *import_sched(const char *sched);
const char *import_weight(const char *s, unsigned long *v);
const char *import_family(const struct addr *a, const struct addr *va);
const char *import_udp(struct import *im, const char *svc,
		       const struct addr *a, uint16_t port);
const char *import_persist(const char *s, unsigned long *v);
const char *import_netmask(const char *s, const struct addr *va,
			   unsigned int *prefix);
void import_print_persist(FILE *f, unsigned long persist,
			  unsigned int prefix, const struct addr *va);
bool import_refused(struct import *im, bool apply);
int import_end(struct nl *nl, struct import *im, bool apply);

/* keepalived.c */
int cmd_import_keepalived(struct nl *nl, int argc, char **argv);

/* ipvsadm.c */
int cmd_import_ipvsadm(struct nl *nl, int argc, char **argv);
void save_services(struct nl *nl);

/* flow.c */
int cmd_flows(struct nl *nl, int argc, char **argv);
int cmd_flush(struct nl *nl, int argc, char **argv);

/* backend.c */
int cmd_backend(struct nl *nl, int argc, char **argv);
size_t get_backends(struct nl *nl, const struct svc_id *svc,
		    struct be_info **out);
bool parse_be_msg(const struct nlmsghdr *nlh, struct be_info *info);
void put_be_id(struct nlmsghdr *nlh, const struct be_info *be);
int set_backend_health(struct nl *nl, const struct be_info *be,
		       uint8_t health, const char *check);
void print_be_limits(const struct be_info *be);
void print_backend_line(const char *verb, const struct be_info *be);
int set_fallback(struct nl *nl, int argc, char **argv);

/* stats.c */
int cmd_stats(struct nl *nl, int argc, char **argv);

/* metrics.c */
void print_prometheus(struct nl *nl, const struct settings *st,
		      const struct svc_info *svc, size_t nsvc);

/* monitor.c */
int cmd_monitor(struct nl *nl, int argc, char **argv);

/* healthd.c */
int cmd_healthd(struct nl *nl, int argc, char **argv);

/* drain.c */
int cmd_drain(struct nl *nl, int argc, char **argv);
int cmd_undrain(struct nl *nl, int argc, char **argv);

#endif /* L4LBADM_H */
