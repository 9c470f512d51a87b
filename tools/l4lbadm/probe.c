// SPDX-License-Identifier: GPL-2.0
/*
 * Health probes, one at a time per backend and never blocking: a TCP
 * connect, a UDP request and its reply (an ICMP unreachable fails it), or
 * a command's exit status. healthd.c starts them, polls their descriptors
 * and reads their verdict.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "healthd.h"

static void verdict(struct probe *p, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void verdict(struct probe *p, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	p->ok = ok;
	p->done = true;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/*
 * "%a" and "%p" in @cmd become the backend's address (bare, IPv6 too:
 * no brackets) and port.
 */
static void expand(char *out, size_t size, const char *cmd,
		   const struct addr *addr, uint16_t port)
{
	const char *word, *a = fmt_addr(addr);
	size_t n = 0, len;
	char p[8];

	snprintf(p, sizeof(p), "%u", port);
	for (; *cmd; cmd++) {
		word = NULL;
		if (cmd[0] == '%' && cmd[1] == 'a')
			word = a;
		else if (cmd[0] == '%' && cmd[1] == 'p')
			word = p;
		len = word ? strlen(word) : 1;
		if (n + len >= size)
			break;
		if (word) {
			memcpy(out + n, word, len);
			cmd++;
		} else {
			out[n] = *cmd;
		}
		n += len;
	}
	out[n] = '\0';
}

static void start_exec(struct probe *p, const struct check *c,
		       const struct addr *addr, uint16_t port)
{
	char cmd[1024], env[64];
	int null;

	expand(cmd, sizeof(cmd), c->arg, addr, port);
	p->pid = fork();
	if (p->pid < 0) {
		verdict(p, false, "exec: fork: %s", strerror(errno));
		return;
	}
	if (!p->pid) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		setpgid(0, 0);
		setenv("L4LB_ADDR", fmt_addr(addr), 1);
		snprintf(env, sizeof(env), "%u", port);
		setenv("L4LB_PORT", env, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* Its own process group, so a timeout kills what it started too. */
	setpgid(p->pid, p->pid);
}

/* Starts the probe of @c on addr:port; it may finish at once. */
void probe_start(struct probe *p, const struct check *c,
		 const struct addr *addr, uint16_t port, long long now)
{
	int type = c->type == CHECK_UDP ? SOCK_DGRAM : SOCK_STREAM;
	uint16_t to = htons(c->port ? c->port : port);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = to };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = to };
	struct sockaddr *sa = (struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->running = true;
	p->deadline = now + c->timeout_ms;
	if (c->type == CHECK_EXEC) {
		start_exec(p, c, addr, port);
		return;
	}
	if (addr->family == AF_INET6) {
		sin6.sin6_addr = addr->v6;
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	} else {
		sin.sin_addr = addr->v4;
	}
	p->fd = socket(addr->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		verdict(p, false, "socket: %s", strerror(errno));
		return;
	}
	if (connect(p->fd, sa, salen) < 0 &&
	    errno != EINPROGRESS) {
		verdict(p, false, "connect: %s", strerror(errno));
		return;
	}
	if (c->type == CHECK_UDP &&
	    send(p->fd, c->arg, strlen(c->arg), 0) < 0)
		verdict(p, false, "udp: send: %s", strerror(errno));
}

/* What poll() should wait for; false if nothing. */
bool probe_pollfd(const struct probe *p, const struct check *c,
		  struct pollfd *pfd)
{
	if (!p->running || p->done || p->fd < 0)
		return false;
	pfd->fd = p->fd;
	pfd->events = c->type == CHECK_UDP ? POLLIN : POLLOUT;
	pfd->revents = 0;
	return true;
}

static void udp_reply(struct probe *p, const struct check *c)
{
	char buf[512];
	ssize_t n;

	n = recv(p->fd, buf, sizeof(buf) - 1, 0);
	if (n < 0 && errno == ECONNREFUSED)
		verdict(p, false, "udp: port unreachable");
	else if (n < 0 && errno != EAGAIN)
		verdict(p, false, "udp: %s", strerror(errno));
	else if (n < 0)
		return;
	else if (buf[n] = '\0', c->expect[0] && !strstr(buf, c->expect))
		verdict(p, false, "udp: the reply lacks \"%s\"", c->expect);
	else
		verdict(p, true, "udp reply ok");
}

/* Reads what happened: after poll(), or at @now past the deadline. */
void probe_step(struct probe *p, const struct check *c,
		const struct pollfd *pfd, long long now)
{
	int err = 0, status;
	socklen_t len = sizeof(err);

	if (!p->running || p->done)
		return;
	if (c->type == CHECK_EXEC) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			if (WIFEXITED(status) && !WEXITSTATUS(status))
				verdict(p, true, "exec ok");
			else if (WIFEXITED(status))
				verdict(p, false, "exec: exit %d",
					WEXITSTATUS(status));
			else
				verdict(p, false, "exec: signal %d",
					WTERMSIG(status));
		}
	} else if (pfd && pfd->revents) {
		if (c->type == CHECK_UDP) {
			udp_reply(p, c);
		} else {
			getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err)
				verdict(p, false, "connect: %s", strerror(err));
			else
				verdict(p, true, "connect ok");
		}
	}
	if (!p->done && now >= p->deadline) {
		probe_stop(p);
		verdict(p, false, "%s: no answer in %lld ms",
			c->type == CHECK_EXEC ? "exec" :
			c->type == CHECK_UDP ? "udp" : "connect",
			(long long)c->timeout_ms);
	}
}

/* Ends a running probe: closes its socket, kills its command. */
void probe_stop(struct probe *p)
{
	if (p->pid > 0) {
		kill(-p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
