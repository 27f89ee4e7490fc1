// SPDX-License-Identifier: MIT
/*
 * The one verdict vocabulary: names parse back, lists parse and print,
 * ranks order the worst first, and the documents a user reads (README,
 * the manual page) name every verdict.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/verdict.h"
#include "testutil.h"

TU_SUITE(verdict);

/* name as the manual page's source spells it: "never\\-closed" */
static const char *roff(const char *name, char *buf, size_t n)
{
	size_t k = 0;

	snprintf(buf, n, ".B ");
	k = strlen(buf);
	for (; *name && k + 3 < n; name++) {
		if (*name == '-')
			buf[k++] = '\\';
		buf[k++] = *name;
	}
	buf[k] = '\0';
	return buf;
}

Test(verdict, every_name_parses_back)
{
	for (int v = 0; v < VD__COUNT; v++) {
		cr_assert_eq(vd_parse(vd_name(v)), v, "%s", vd_name(v));
		cr_assert_str_neq(vd_info(v)->meaning, "?");
	}
	cr_assert_eq(vd_parse("leaky"), -1);
	cr_assert_str_eq(vd_name(VD__COUNT), "?");
	cr_assert_str_eq(vd_name(VD_CLOSING), "closing");
	cr_assert_str_eq(vd_name(VD_CONNECT_FAILED), "connect-failed");
}

Test(verdict, only_never_closed_and_late_close_are_leaks)
{
	for (int v = 0; v < VD__COUNT; v++)
		cr_assert_eq(vd_info(v)->leak,
			     v == VD_NEVER_CLOSED || v == VD_LATE_CLOSE, "%s",
			     vd_name(v));
	cr_assert(vd_info(VD_CLOSING)->listed);
}

Test(verdict, worst_first)
{
	cr_assert_lt(vd_cmp_worse(VD_NEVER_CLOSED, VD_LATE_CLOSE), 0);
	cr_assert_lt(vd_cmp_worse(VD_LATE_CLOSE, VD_CLOSING), 0);
	cr_assert_lt(vd_cmp_worse(VD_CLOSING, VD_RESET), 0);
	cr_assert_gt(vd_cmp_worse(VD_CLEAN, VD_RESET), 0);
	cr_assert_eq(vd_cmp_worse(VD_RESET, VD_RESET), 0);
}

Test(verdict, lists)
{
	char bad[32], buf[128];
	unsigned mask;

	cr_assert_eq(vd_parse_list("never-closed,late-close", &mask, bad,
				   sizeof(bad)),
		     0);
	cr_assert_eq(mask, 1u << VD_NEVER_CLOSED | 1u << VD_LATE_CLOSE);
	cr_assert_str_eq(vd_list(buf, sizeof(buf), mask, 0),
			 "late-close, never-closed");
	cr_assert_str_eq(vd_list(buf, sizeof(buf), mask, 1),
			 "\"late-close\",\"never-closed\"");
	cr_assert_eq(vd_parse_list("reset,leaky", &mask, bad, sizeof(bad)),
		     -EINVAL);
	cr_assert_str_eq(bad, "leaky");
	cr_assert_eq(vd_parse_list("", &mask, bad, sizeof(bad)), -EINVAL);
	cr_assert_eq(vd_parse_list(",,", &mask, NULL, 0), -EINVAL);
}

/* A user reads the vocabulary in README.md and the manual page. */
Test(verdict, documents_name_every_verdict)
{
	char *readme = tu_slurp_path(SRC_DIR "/README.md");
	char *man = tu_slurp_path(SRC_DIR "/docs/fintrace.1");
	char *arch = tu_slurp_path(SRC_DIR "/docs/architecture.md");

	for (int v = 0; v < VD__COUNT; v++) {
		char tick[48];

		snprintf(tick, sizeof(tick), "`%s`", vd_name(v));
		cr_expect(strstr(readme, tick), "README.md lacks %s", tick);
		cr_expect(strstr(arch, tick), "docs/architecture.md lacks %s",
			  tick);
		cr_expect(strstr(man, roff(vd_name(v), tick, sizeof(tick))),
			  "fintrace.1 lacks %s", tick);
	}
	free(readme);
	free(man);
	free(arch);
}
