// SPDX-License-Identifier: GPL-2.0
/* The namespace's settings: show them, set them. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/l4lb.h>

#include "l4lbadm.h"

static const char *const down_flows_words[] = {
	[L4LB_DOWN_FLOWS_KEEP] = "keep",
	[L4LB_DOWN_FLOWS_DROP] = "drop",
	[L4LB_DOWN_FLOWS_RESET] = "reset",
	NULL
};

/* A setting is a number from min to max, or one of words (its index). */
static const struct {
	const char *word;
	int attr;
	uint32_t min, max;
	const char *const *words;
} knobs[] = {
	{ "max-flows", L4LB_A_MAX_FLOWS, 1, L4LB_MAX_FLOWS_MAX, NULL },
	{ "timeout-syn", L4LB_A_TIMEOUT_SYN, 1, L4LB_TCP_TIMEOUT_MAX, NULL },
	{ "timeout-established", L4LB_A_TIMEOUT_ESTABLISHED, 1,
	  L4LB_TCP_TIMEOUT_MAX, NULL },
	{ "timeout-fin-wait", L4LB_A_TIMEOUT_FIN_WAIT, 1,
	  L4LB_TCP_TIMEOUT_MAX, NULL },
	{ "timeout-closing", L4LB_A_TIMEOUT_CLOSING, 1, L4LB_TCP_TIMEOUT_MAX,
	  NULL },
	{ "down-flows", L4LB_A_DOWN_FLOWS, 0, L4LB_DOWN_FLOWS_MAX,
	  down_flows_words },
	/* The same on every balancer of an ECMP group (any value will do). */
	{ "hash-seed", L4LB_A_HASH_SEED, 0, UINT32_MAX, NULL },
};

/* A setting's value as l4lbadm writes it: a number, or its word. */
static void print_value(unsigned int k, uint32_t v, bool quoted)
{
	if (!knobs[k].words)
		printf("%u", v);
	else if (quoted)
		printf("\"%s\"", v <= knobs[k].max ? knobs[k].words[v] : "?");
	else
		printf("%s", v <= knobs[k].max ? knobs[k].words[v] : "?");
}

#define N_KNOBS (sizeof(knobs) / sizeof(knobs[0]))
_Static_assert(N_KNOBS == sizeof(((struct settings *)0)->value) /
	       sizeof(uint32_t), "struct settings holds every knob");

/* The values a settings reply (or event) holds; others stay as they are. */
void parse_settings_msg(const struct nlmsghdr *nlh, struct settings *st)
{
	const struct nlattr *tb[L4LB_A_MAX + 1];
	unsigned int i;

	parse_attrs(nlh, tb);
	for (i = 0; i < N_KNOBS; i++)
		if (tb[knobs[i].attr])
			st->value[i] = mnl_attr_get_u32(tb[knobs[i].attr]);
	if (tb[L4LB_A_FLOWS])
		st->flows = mnl_attr_get_u32(tb[L4LB_A_FLOWS]);
}

static int settings_cb(const struct nlmsghdr *nlh, void *data)
{
	parse_settings_msg(nlh, data);
	return MNL_CB_OK;
}

void get_settings(struct nl *nl, struct settings *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	memset(st, 0, sizeof(*st));
	if (nl_talk(nl, nl_msg(nl, buf, L4LB_CMD_SETTINGS_GET, 0),
		    settings_cb, st) < 0)
		fail_nl(nl, "settings");
}

/* "set max-flows 1048576 timeout-syn 30": one line, as save prints it. */
void print_set_line(const struct settings *st)
{
	unsigned int i;

	printf("set");
	for (i = 0; i < N_KNOBS; i++) {
		printf(" %s ", knobs[i].word);
		print_value(i, st->value[i], false);
	}
	putchar('\n');
}

/* Puts every value of @st back (restore's undo). */
void set_settings(struct nl *nl, const struct settings *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	unsigned int i;

	nlh = nl_msg(nl, buf, L4LB_CMD_SETTINGS_SET, 0);
	for (i = 0; i < N_KNOBS; i++)
		mnl_attr_put_u32(nlh, knobs[i].attr, st->value[i]);
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "restore: undo settings");
}

/* One JSON object, @members (monitor's time and event) first. */
void print_settings_json(const char *members, const struct settings *st)
{
	unsigned int i;

	printf("{%s\"flows\":%u", members, st->flows);
	for (i = 0; i < N_KNOBS; i++) {
		printf(",\"%s\":", knobs[i].word);
		print_value(i, st->value[i], true);
	}
	puts("}");
}

int cmd_settings(struct nl *nl, int argc, char **argv)
{
	struct settings st;
	unsigned int i;

	(void)argv;
	if (argc)
		fail("settings takes no arguments");
	get_settings(nl, &st);
	if (json) {
		print_settings_json("", &st);
		return 0;
	}
	printf("flows %u\n", st.flows);
	for (i = 0; i < N_KNOBS; i++) {
		printf("%s ", knobs[i].word);
		print_value(i, st.value[i], false);
		putchar('\n');
	}
	return 0;
}

int cmd_set(struct nl *nl, int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	unsigned long long v;
	unsigned int k;
	char *end;
	int i;

	if (!argc)
		fail("set needs at least one of: max-flows, timeout-syn, timeout-established, timeout-fin-wait, timeout-closing, down-flows, hash-seed");
	nlh = nl_msg(nl, buf, L4LB_CMD_SETTINGS_SET, 0);
	for (i = 0; i < argc; i += 2) {
		for (k = 0; k < N_KNOBS; k++)
			if (!strcmp(argv[i], knobs[k].word))
				break;
		if (k == N_KNOBS)
			fail("set: unknown setting '%s'", argv[i]);
		if (i + 1 >= argc)
			fail("'%s' needs a value", argv[i]);
		if (knobs[k].words) {
			for (v = 0; knobs[k].words[v]; v++)
				if (!strcmp(argv[i + 1], knobs[k].words[v]))
					break;
			if (!knobs[k].words[v])
				fail("%s '%s' is not %s, %s or %s", argv[i],
				     argv[i + 1], knobs[k].words[0],
				     knobs[k].words[1], knobs[k].words[2]);
		} else {
			v = strtoull(argv[i + 1], &end, 10);
			if (*end || end == argv[i + 1] || argv[i + 1][0] == '-' ||
			    v < knobs[k].min || v > knobs[k].max)
				fail("%s '%s' is not a number from %u to %u",
				     argv[i], argv[i + 1], knobs[k].min,
				     knobs[k].max);
		}
		mnl_attr_put_u32(nlh, knobs[k].attr, v);
	}
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		fail_nl(nl, "set");
	return 0;
}
