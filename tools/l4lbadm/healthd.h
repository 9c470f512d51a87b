/* SPDX-License-Identifier: GPL-2.0 */
#ifndef L4LBADM_HEALTHD_H
#define L4LBADM_HEALTHD_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include "l4lbadm.h"

enum check_type { CHECK_CONNECT, CHECK_UDP, CHECK_EXEC };

/* One "check" line of the configuration: a service's, or one backend's. */
struct check {
	struct svc_id svc;
	bool one_backend;		/* only be_addr:be_port, not the pool */
	struct addr be_addr;
	uint16_t be_port;
	enum check_type type;
	char arg[512];			/* udp: what to send; exec: command */
	char expect[128];		/* udp: what the reply must hold */
	uint16_t port;			/* probe this port, not the backend's */
	long long interval_ms, timeout_ms;
	unsigned int rise, fall;
	int line;
};

/* A probe under way or just finished (probe.c). */
struct probe {
	bool running, done, ok;
	int fd;
	pid_t pid;
	long long deadline;
	char text[L4LB_CHECK_LEN_MAX];
};

void probe_start(struct probe *p, const struct check *c,
		 const struct addr *addr,
		 uint16_t port, long long now);
bool probe_pollfd(const struct probe *p, const struct check *c,
		  struct pollfd *pfd);
void probe_step(struct probe *p, const struct check *c,
		const struct pollfd *pfd, long long now);
void probe_stop(struct probe *p);

/* L4LB_MAX_BACKENDS: a service has no more backends than this. */
#define ANNOUNCE_MIN_UP_MAX	512

/* One "announce" line: @vip on @dev while every service at it can serve. */
struct announce {
	struct addr vip;
	char dev[16];			/* IF_NAMESIZE */
	unsigned int min_up;		/* usable backends each service needs */
	int line;
	bool known;			/* @on was set by us, not guessed */
	bool on;			/* the address is on @dev */
	bool failed;			/* the last change failed (logged) */
};

/* The rtnetlink socket that adds and removes the addresses (announce.c). */
struct announcer {
	struct mnl_socket *rt;
	uint32_t portid, seq;
};

const char *parse_announce(int argc, char **w, struct announce *a);
int announcer_open(struct announcer *an);
void announcer_close(struct announcer *an);
bool announce_set(struct announcer *an, struct announce *a, bool on);
void announce_verify(struct announcer *an, struct announce *ann, size_t n);

/* drain.c: healthd's end of the drain socket. */
#define CTL_ANSWER_MAX	65536		/* an answer names every address */
int ctl_listen(void);
void ctl_close(int fd);
int ctl_accept(int lfd, char *cmd, size_t len);
void ctl_reply(int c, const char *text);

void healthd_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* L4LBADM_HEALTHD_H */
