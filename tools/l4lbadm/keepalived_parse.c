// SPDX-License-Identifier: GPL-2.0
/*
 * keepalived.conf's syntax, as keepalived's own parser reads it: a
 * statement a line (a keyword and its values), a block in braces after it
 * (the { on the same line or the next, the } anywhere), comments from # or
 * ! to the end of the line, "quoted strings" (\ escapes the next
 * character), and include FILE (also includer, includem, includew,
 * includeb, includea): a glob, relative to the including file's directory,
 * its files read in order where the line stands. Conditional lines (@)
 * and parameters ($NAME) are refused: keepalived resolves them by host
 * and definitions this tool does not know.
 */

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "keepalived.h"

#define MAX_DEPTH	8	/* includes in includes, as keepalived */

enum tok_type { TOK_WORD, TOK_OPEN, TOK_CLOSE };

struct tok {
	enum tok_type type;
	char *text;
	const char *file;
	int line;
	bool first;		/* the first token of its line */
};

struct toks {
	struct tok *t;
	size_t n, cap, pos;
	struct import *im;
	char **files;		/* the names tokens point to */
	size_t n_files, cap_files;
};

static void add_tok(struct toks *ts, enum tok_type type, char *text,
		    const char *file, int line, bool first)
{
	ts->t = grow(ts->t, &ts->cap, ts->n, sizeof(*ts->t));
	ts->t[ts->n++] = (struct tok){ type, text, file, line, first };
}

static void read_file(struct toks *ts, const char *path, int depth);

/* "include PATTERN": its files' tokens, where the line stands. */
static void include(struct toks *ts, const char *from, int line,
		    const char *pattern, int depth)
{
	char *dir, *full;
	glob_t g;
	size_t i;

	if (depth >= MAX_DEPTH) {
		import_refuse(ts->im, from, line, "include: more than %d levels of includes",
			      MAX_DEPTH);
		return;
	}
	dir = strdup(from);
	if (!dir || asprintf(&full, "%s/%s", dirname(dir), pattern) < 0)
		fail("out of memory");
	free(dir);
	if (glob(pattern[0] == '/' ? pattern : full, 0, NULL, &g)) {
		import_refuse(ts->im, from, line, "include: %s: no such file",
			      pattern);
		free(full);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++)
		read_file(ts, g.gl_pathv[i], depth + 1);
	globfree(&g);
	free(full);
}

/* A word from @p (quoted or not), into a new string; @p moved past it. */
static char *word(char **p)
{
	char *s = *p, *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		fail("out of memory");
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			*o++ = *s;
		}
		if (*s)
			s++;
	} else {
		while (*s && !strchr(" \t\r\n{}", *s))
			*o++ = *s++;
	}
	*o = '\0';
	*p = s;
	return out;
}

/*
 * include and its variants: these make keepalived check the files before
 * reading them; a pattern that matches no file is refused here either way.
 */
static bool is_include(const char *w)
{
	static const char *const kw[] = { "include", "includer", "includem",
		"includew", "includeb", "includea" };
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (!strcmp(w, kw[i]))
			return true;
	return false;
}

/* One line's tokens; an include line is replaced by its files' tokens. */
static void read_line(struct toks *ts, char *p, const char *file, int no,
		      int depth)
{
	size_t start = ts->n;
	bool first = true;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#' || *p == '!')
			break;
		if (*p == '{' || *p == '}') {
			add_tok(ts, *p == '{' ? TOK_OPEN : TOK_CLOSE, NULL, file,
				no, first);
			p++;
		} else {
			add_tok(ts, TOK_WORD, word(&p), file, no, first);
		}
		first = false;
	}
	if (ts->n == start || ts->t[start].type != TOK_WORD)
		return;
	if (ts->t[start].text[0] == '@' || ts->t[start].text[0] == '$') {
		import_refuse(ts->im, file, no, "%s: conditional lines (@) and parameters ($) are not read: expand them first",
			      ts->t[start].text);
		ts->n = start;
	} else if (is_include(ts->t[start].text) && ts->n == start + 2 &&
		   ts->t[start + 1].type == TOK_WORD) {
		char *pattern = ts->t[start + 1].text;

		free(ts->t[start].text);
		ts->n = start;
		include(ts, file, no, pattern, depth);
		free(pattern);
	}
}

static void read_file(struct toks *ts, const char *path, int depth)
{
	char *text = NULL, *name;
	size_t len = 0;
	int no = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		fail("import-keepalived: %s: %s", path, strerror(errno));
	name = strdup(path);
	if (!name)
		fail("out of memory");
	ts->files = grow(ts->files, &ts->cap_files, ts->n_files,
			 sizeof(*ts->files));
	ts->files[ts->n_files++] = name;
	while (getline(&text, &len, f) > 0)
		read_line(ts, text, name, ++no, depth);
	free(text);
	fclose(f);
}

static struct ka_node *new_node(struct tok *t)
{
	struct ka_node *n = calloc(1, sizeof(*n));

	if (!n)
		fail("out of memory");
	n->kw = t->text;
	n->file = t->file;
	n->line = t->line;
	return n;
}

/* The statements up to the } closing this block (or the end at top). */
static struct ka_node *statements(struct toks *ts, struct tok *opener)
{
	struct ka_node *head = NULL, **tail = &head, *last = NULL;
	struct tok *t;

	while (ts->pos < ts->n) {
		t = &ts->t[ts->pos++];
		if (t->type == TOK_CLOSE) {
			if (opener)
				return head;
			import_refuse(ts->im, t->file, t->line, "a } without its {");
			continue;
		}
		if (t->type == TOK_OPEN) {
			if (!last || last->block) {
				import_refuse(ts->im, t->file, t->line, "a { after no keyword");
				ka_free(statements(ts, t));
				continue;
			}
			last->block = true;
			last->child = statements(ts, t);
			continue;
		}
		last = *tail = new_node(t);
		tail = &last->next;
		while (ts->pos < ts->n && !ts->t[ts->pos].first &&
		       ts->t[ts->pos].type == TOK_WORD) {
			last->arg = realloc(last->arg, (last->nargs + 1) *
					    sizeof(char *));
			if (!last->arg)
				fail("out of memory");
			last->arg[last->nargs++] = ts->t[ts->pos++].text;
		}
	}
	if (opener)
		import_refuse(ts->im, opener->file, opener->line, "this { is not closed");
	return head;
}

/*
 * @file's statements; what breaks the syntax is refused through @im. The
 * names of files stay allocated: nodes point to them.
 */
struct ka_node *ka_parse(struct import *im, const char *file)
{
	struct toks ts = { .im = im };
	struct ka_node *top;

	read_file(&ts, file, 0);
	top = statements(&ts, NULL);
	free(ts.t);
	return top;
}

void ka_free(struct ka_node *n)
{
	struct ka_node *next;
	int i;

	for (; n; n = next) {
		next = n->next;
		ka_free(n->child);
		for (i = 0; i < n->nargs; i++)
			free(n->arg[i]);
		free(n->arg);
		free(n->kw);
		free(n);
	}
}
