/* SPDX-License-Identifier: MIT */
/*
 * docs/fintrace.1 stays in sync with the program: for every sub-command,
 * the option names under its .SS heading are exactly those its --help
 * lists (both ways), and the page is valid man(7) for groff.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define FINTRACE BUILD_DIR "/cli/fintrace"
#define MANPAGE SRC_DIR "/docs/fintrace.1"
#define MAXOPT 128

struct optset {
	char name[MAXOPT][40];
	size_t n;
};

/* Output of cmd into a malloc'd string; its exit status in *status. */
static char *capture(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int st;

	cr_assert_not_null(p);
	cr_assert_not_null(buf);
	while (!feof(p) && n < cap - 1)
		n += fread(buf + n, 1, cap - 1 - n, p);
	buf[n] = '\0';
	st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

static char *slurp(const char *path)
{
	int st;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cat '%s'", path);
	return capture(cmd, &st);
}

static int is_boundary(const char *text, const char *p)
{
	return p == text || strchr(" \t\n,([|\"'", p[-1]);
}

static void add(struct optset *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->name[i]) == len &&
		    !strncmp(s->name[i], name, len))
			return;
	cr_assert_lt(s->n, MAXOPT);
	cr_assert_lt(len, sizeof(s->name[0]));
	memcpy(s->name[s->n], name, len);
	s->name[s->n][len] = '\0';
	s->n++;
}

/* Option names in text: "--long-name" and "-x" standing alone. */
static void collect(const char *text, struct optset *s)
{
	for (const char *p = text; *p; p++) {
		if (*p != '-' || !is_boundary(text, p))
			continue;
		if (p[1] == '-' && isalpha((unsigned char)p[2])) {
			size_t len = 2;

			while (isalnum((unsigned char)p[len]) || p[len] == '-')
				len++;
			while (p[len - 1] == '-')
				len--;
			add(s, p, len);
			p += len - 1;
		} else if (isalnum((unsigned char)p[1]) &&
			   (!p[2] || strchr(" ,\t\n)]|", p[2]))) {
			add(s, p, 2);
			p++;
		}
	}
}

/* The man source of one sub-command's section, fonts and escapes gone. */
static char *man_section(const char *man, const char *cmd)
{
	char head[64], *out, *o;
	const char *start, *end;

	snprintf(head, sizeof(head), "\n.SS \"fintrace %s", cmd);
	start = strstr(man, head);
	cr_assert_not_null(start, "no section for fintrace %s in the man page",
			   cmd);
	start++;
	end = start + 1;
	while ((end = strchr(end, '\n')) && strncmp(end, "\n.SS", 4) &&
	       strncmp(end, "\n.SH", 4))
		end++;
	if (!end)
		end = start + strlen(start);
	out = o = malloc((size_t)(end - start) + 1);
	cr_assert_not_null(out);
	for (const char *p = start; p < end;) {
		if (p[0] == '\\' && p[1] == '-') {
			*o++ = '-';
			p += 2;
		} else if (p[0] == '\\' && p[1] == 'f' && p + 2 < end) {
			p += 3;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/*
 * The usage text of fintrace kernel from its source, for builds without
 * eBPF (where the command only says that it is missing).
 */
static char *kernel_usage_from_source(void)
{
	char *src = slurp(SRC_DIR "/cli/cmd_kernel.c");
	const char *p = strstr(src, "static const char usage[] =");
	char *out, *o;

	cr_assert_not_null(p, "no usage[] in cli/cmd_kernel.c");
	out = o = malloc(strlen(p) + 1);
	cr_assert_not_null(out);
	for (; *p && *p != ';'; p++) {
		if (*p != '"')
			continue;
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				*o++ = *p == 'n' ? '\n' : *p;
			} else {
				*o++ = *p;
			}
		}
	}
	*o = '\0';
	free(src);
	return out;
}

static int has(const struct optset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return 1;
	return 0;
}

static void compare(const char *cmd)
{
	char *man = slurp(MANPAGE), *sec, *help, line[256];
	struct optset want = {0}, got = {0};
	int st;

	snprintf(line, sizeof(line), "%s %s --help 2>&1", FINTRACE, cmd);
	help = capture(line, &st);
	if (st && !strcmp(cmd, "kernel") && strstr(help, "no eBPF support")) {
		free(help);
		help = kernel_usage_from_source();
	} else {
		cr_assert_eq(st, 0, "fintrace %s --help: %s", cmd, help);
	}
	sec = man_section(man, cmd);
	collect(help, &want);
	collect(sec, &got);
	cr_assert_gt(want.n, 0, "%s: no option in --help", cmd);
	for (size_t i = 0; i < want.n; i++)
		cr_expect(has(&got, want.name[i]),
			  "fintrace %s %s is in --help but not in the man "
			  "page",
			  cmd, want.name[i]);
	for (size_t i = 0; i < got.n; i++)
		cr_expect(has(&want, got.name[i]),
			  "fintrace %s %s is in the man page but not in "
			  "--help",
			  cmd, got.name[i]);
	free(man);
	free(sec);
	free(help);
}

Test(manpage, read_options_match_help)
{
	compare("read");
}

Test(manpage, live_options_match_help)
{
	compare("live");
}

Test(manpage, kernel_options_match_help)
{
	compare("kernel");
}

Test(manpage, compare_options_match_help)
{
	compare("compare");
}

Test(manpage, states_options_match_help)
{
	compare("states");
}

Test(manpage, every_command_of_main_has_a_section)
{
	int st;
	char *help = capture(FINTRACE " --help", &st);
	char *man = slurp(MANPAGE);
	const char *p = strstr(help, "commands:");

	cr_assert_eq(st, 0);
	cr_assert_not_null(p);
	for (p = strchr(p, '\n'); p && *p; p = strchr(p + 1, '\n')) {
		char name[32], head[64];

		/* "  read FILE...   analyse ..." */
		if (sscanf(p, "\n  %31[a-z] ", name) != 1 || p[3] == ' ')
			continue;
		snprintf(head, sizeof(head), "\n.SS \"fintrace %s", name);
		cr_expect_not_null(strstr(man, head), "no section for %s",
				   name);
	}
	free(help);
	free(man);
}

Test(manpage, groff_renders_without_warnings)
{
	int st;
	char *out = capture("groff -man -Tutf8 -ww -z " MANPAGE " 2>&1", &st);

	if (st == 127 || strstr(out, "not found"))
		cr_skip_test("groff is not installed");
	cr_expect_eq(st, 0, "%s", out);
	cr_expect_str_eq(out, "");
	free(out);
}
