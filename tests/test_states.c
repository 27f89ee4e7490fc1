/* SPDX-License-Identifier: MIT */
/*
 * fintrace states: the glossary as data (every state, every spelling of
 * netstat, ss and Windows), and the command's output, one-state output,
 * unknown state error and line width.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

#include "analysis/states.h"
#include "analysis/verdict.h"

TU_SUITE(states);

/* A file of tmpdir into buf (size n). */
static const char *slurp_into(const char *name, char *buf, size_t n)
{
	char path[512];
	FILE *f;
	size_t k;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	k = fread(buf, 1, n - 1, f);
	buf[k] = '\0';
	fclose(f);
	return buf;
}

static const char *const names[] = {
	"LISTEN",    "SYN_SENT",  "SYN_RECV",	"ESTABLISHED",
	"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "CLOSING",
	"LAST_ACK",  "TIME_WAIT", "CLOSED",
};

Test(states, every_state_with_every_part)
{
	size_t n;
	const struct st_state *all = st_all(&n);

	cr_assert_eq(n, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < n; i++) {
		cr_expect_str_eq(all[i].name, names[i]);
		cr_expect(all[i].ss_name && *all[i].ss_name);
		cr_expect(all[i].summary && *all[i].summary, "%s", names[i]);
		cr_expect(strlen(all[i].meaning) > 40, "%s", names[i]);
		cr_expect(strlen(all[i].waiting) > 10, "%s", names[i]);
		cr_expect(strlen(all[i].lingering) > 40, "%s", names[i]);
		cr_expect(strlen(all[i].knobs) > 10, "%s", names[i]);
		cr_expect_eq(st_find(names[i]), &all[i]);
	}
}

Test(states, spellings_of_netstat_ss_and_windows)
{
	static const struct {
		const char *in, *name;
	} cases[] = {
		{"close_wait", "CLOSE_WAIT"}, {"CLOSE-WAIT", "CLOSE_WAIT"},
		{"closewait", "CLOSE_WAIT"},  {"Close Wait", "CLOSE_WAIT"},
		{"ESTAB", "ESTABLISHED"},     {"SYN-RECV", "SYN_RECV"},
		{"SYN_RECEIVED", "SYN_RECV"}, {"FIN-WAIT-2", "FIN_WAIT2"},
		{"FIN_WAIT_1", "FIN_WAIT1"},  {"LISTENING", "LISTEN"},
		{"time-wait", "TIME_WAIT"},   {"LAST-ACK", "LAST_ACK"},
		{"CLOSE", "CLOSED"},	      {"UNCONN", "CLOSED"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct st_state *s = st_find(cases[i].in);

		cr_assert_not_null(s, "%s", cases[i].in);
		cr_expect_str_eq(s->name, cases[i].name, "%s", cases[i].in);
	}
	cr_expect_null(st_find("ESTABLISHING"));
	cr_expect_null(st_find(""));
	cr_expect_null(st_find("-_-"));
	cr_expect_null(st_find(NULL));
	cr_expect_null(st_find("CLOSE_WAIT_CLOSE_WAIT_CLOSE_WAIT_CLOSE_WAIT"));
}

Test(states, all_states_listed_within_80_columns)
{
	static char out[1 << 16];
	char *save = NULL;

	cr_assert_eq(run("%s states > %s/out", FINTRACE, tmpdir), 0);
	slurp_into("out", out, sizeof(out));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char head[64];

		snprintf(head, sizeof(head), "\n%s", names[i]);
		cr_expect_not_null(strstr(out, head), "%s missing", names[i]);
	}
	cr_expect_not_null(strstr(out, "RFC 9293"));
	for (char *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t cols = 0;

		/* count characters, not UTF-8 bytes */
		for (const unsigned char *p = (const unsigned char *)l; *p; p++)
			cols += (*p & 0xc0) != 0x80;
		cr_expect_leq(cols, 80, "too wide: %s", l);
	}
}

Test(states, close_wait_alone_any_spelling)
{
	static char a[1 << 14], b[1 << 14];

	cr_assert_eq(run("%s states CLOSE_WAIT > %s/a", FINTRACE, tmpdir), 0);
	cr_assert_eq(run("%s states close-wait > %s/b", FINTRACE, tmpdir), 0);
	slurp_into("a", a, sizeof(a));
	slurp_into("b", b, sizeof(b));
	cr_expect_str_eq(a, b);
	cr_expect_eq(strncmp(a, "CLOSE_WAIT", 10), 0, "%s", a);
	cr_expect_not_null(strstr(a, "close()"));
	cr_expect_not_null(strstr(a, "RFC 9293"));
	cr_expect_null(strstr(a, "TIME_WAIT ("), "one state only: %s", a);
	cr_expect_null(strstr(a, "\nLISTEN"));
}

Test(states, the_knobs_people_look_for)
{
	static char t[1 << 14];
	static const struct {
		const char *state, *words[6];
	} cases[] = {
		{"TIME_WAIT",
		 {"60 s", "TCP_TIMEWAIT_LEN", "tcp_tw_reuse",
		  "TcpTimedWaitDelay", "240 s", "MaxUserPort"}},
		{"FIN_WAIT2", {"tcp_fin_timeout", "60 s", "CLOSE_WAIT"}},
		{"FIN_WAIT1", {"tcp_max_orphans", "tcp_orphan_retries"}},
		{"ESTABLISHED", {"keepalive", "tcp_keepalive_time"}},
		{"CLOSE_WAIT", {"close()", "no kernel timer"}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(run("%s states %s > %s/t", FINTRACE,
				 cases[i].state, tmpdir),
			     0);
		slurp_into("t", t, sizeof(t));
		for (size_t w = 0; w < 6 && cases[i].words[w]; w++) {
			/* the text is wrapped: compare with spaces folded */
			char flat[1 << 14];
			size_t k = 0;

			for (const char *p = t; *p && k < sizeof(flat) - 1;
			     p++) {
				if (*p == '\n' || *p == ' ') {
					if (k && flat[k - 1] == ' ')
						continue;
					flat[k++] = ' ';
				} else {
					flat[k++] = *p;
				}
			}
			flat[k] = '\0';
			cr_expect_not_null(strstr(flat, cases[i].words[w]),
					   "%s lacks \"%s\"", cases[i].state,
					   cases[i].words[w]);
		}
	}
}

Test(states, unknown_state_one_line_exit_1)
{
	static char e[4096], o[4096];

	cr_assert_eq(run("%s states FIN_WAIT_3 > %s/o 2> %s/e", FINTRACE,
			 tmpdir, tmpdir),
		     1);
	slurp_into("e", e, sizeof(e));
	slurp_into("o", o, sizeof(o));
	cr_expect_str_eq(o, "");
	cr_expect_not_null(strstr(e, "FIN_WAIT_3"), "%s", e);
	cr_expect_eq(strchr(e, '\n') - e + 1, (long)strlen(e), "%s", e);
	cr_expect_eq(run("%s states --bogus > /dev/null 2>&1", FINTRACE), 1);
	cr_expect_eq(run("%s states LISTEN CLOSED > /dev/null 2>&1", FINTRACE),
		     1);
	cr_expect_eq(run("%s states --help > %s/o", FINTRACE, tmpdir), 0);
	cr_expect_not_null(strstr(slurp_into("o", o, sizeof(o)),
				  "usage: fintrace "
				  "states"));
}

/* The verdicts come from the one table, each with its meaning. */
Test(states, verdicts_listed_with_their_meaning)
{
	char line[160];

	cr_assert_eq(run("%s states > %s/out", FINTRACE, tmpdir), 0);
	for (int v = 0; v < VD__COUNT; v++) {
		const struct vd_info *vi = vd_info((enum vd_verdict)v);
		char first[40];

		snprintf(line, sizeof(line), "  %-15s", vi->name);
		snprintf(first, sizeof(first), "%.30s", vi->meaning);
		cr_expect(strstr(slurp("out"), line), "no %s", vi->name);
		cr_expect(strstr(slurp("out"), first), "no meaning of %s",
			  vi->name);
	}
	cr_assert_eq(run("%s states never-closed > %s/v", FINTRACE, tmpdir), 0);
	cr_assert(strstr(slurp("v"), "never-closed"), "%s", slurp("v"));
	cr_assert(strstr(slurp("v"), "a leak"), "%s", slurp("v"));
	cr_assert_eq(lines(slurp("v")), 3, "%s", slurp("v"));
}
