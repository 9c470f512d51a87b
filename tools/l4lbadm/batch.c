// SPDX-License-Identifier: GPL-2.0
/*
 * save and restore: the configuration as l4lbadm command lines, and their
 * replay, all or nothing: every line is checked before any is applied, and
 * when the kernel refuses one, the lines applied before it are undone.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "l4lbadm.h"

#define MAX_WORDS 32

struct line {
	int no;
	int argc;
	char *argv[MAX_WORDS + 1];
};

int cmd_save(struct nl *nl, int argc, char **argv)
{
	struct settings st;

	(void)argv;
	if (argc)
		fail("save takes no arguments");
	get_settings(nl, &st);
	print_set_line(&st);
	save_services(nl);
	return 0;
}

/*
 * Runs one line in a child, its errors prefixed with the line number;
 * @check only builds the request. Returns the child's success.
 */
static bool run_line(const struct line *l, bool check, bool quiet)
{
	static char name[64];
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("restore: fork: %s", strerror(errno));
	if (!pid) {
		snprintf(name, sizeof(name), "l4lbadm: restore: line %d", l->no);
		prog = name;
		dry_run = check;
		json = false;
		if (quiet && !freopen("/dev/null", "w", stderr))
			_exit(1);
		exit(run_command(l->argc, (char **)l->argv));
	}
	if (waitpid(pid, &status, 0) < 0)
		fail("restore: wait: %s", strerror(errno));
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

static bool is(const struct line *l, const char *verb, const char *sub)
{
	return !strcmp(l->argv[0], verb) &&
	       (!sub || (l->argc > 1 && !strcmp(l->argv[1], sub)));
}

/* The line that takes back an applied one (a copy in @undo). */
static bool undo_of(const struct line *l, struct line *undo)
{
	*undo = *l;
	if (is(l, "service", "add") && l->argc >= 4) {
		undo->argv[1] = "del";
		undo->argc = 4;
		undo->argv[4] = NULL;
		return true;
	}
	/* Into an empty configuration, as restore is meant: none before. */
	if (is(l, "service", "set") && l->argc == 6) {
		undo->argv[5] = "none";
		return true;
	}
	if (is(l, "backend", "add") && l->argc >= 5) {
		undo->argv[1] = "del";
		undo->argc = 5;
		undo->argv[5] = NULL;
		return true;
	}
	return false;
}

static size_t read_lines(FILE *f, struct line **out)
{
	char *text = NULL, *save, *w;
	struct line *v = NULL;
	size_t n = 0, cap = 0, len = 0;
	int no = 0;

	while (getline(&text, &len, f) > 0) {
		no++;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				fail("out of memory");
		}
		v[n].no = no;
		v[n].argc = 0;
		for (w = strtok_r(text, " \t\n", &save); w && *w != '#';
		     w = strtok_r(NULL, " \t\n", &save)) {
			if (v[n].argc == MAX_WORDS)
				fail("restore: line %d is too long", no);
			v[n].argv[v[n].argc++] = w;
		}
		v[n].argv[v[n].argc] = NULL;
		if (v[n].argc) {
			n++;
			text = NULL;	/* the words point into it: keep it */
			len = 0;
		}
	}
	free(text);
	*out = v;
	return n;
}

int cmd_restore(struct nl *nl, int argc, char **argv)
{
	FILE *f = stdin;

	if (argc > 1)
		fail("restore takes one file at most");
	if (argc && strcmp(argv[0], "-")) {
		f = fopen(argv[0], "r");
		if (!f)
			fail("restore: %s: %s", argv[0], strerror(errno));
	}
	return restore_stream(nl, f);
}

/* Replays @f's lines, all or nothing; exits on the first failure. */
int restore_stream(struct nl *nl, FILE *f)
{
	struct line *lines, undo;
	struct settings before;
	size_t n, i, j;

	n = read_lines(f, &lines);
	for (i = 0; i < n; i++) {
		if (!is(&lines[i], "set", NULL) &&
		    !is(&lines[i], "service", "add") &&
		    !is(&lines[i], "service", "set") &&
		    !is(&lines[i], "backend", "add"))
			fail("restore: line %d: only set, service add, service set and backend add lines can be restored",
			     lines[i].no);
		if (!run_line(&lines[i], true, false))
			exit(1);
	}
	get_settings(nl, &before);
	for (i = 0; i < n; i++) {
		if (run_line(&lines[i], false, false))
			continue;
		/* Undo in reverse order; a service's removal takes its backends. */
		for (j = i; j-- > 0;)
			if (undo_of(&lines[j], &undo))
				run_line(&undo, false, true);
		set_settings(nl, &before);
		exit(1);
	}
	return 0;
}
