/* SPDX-License-Identifier: MIT */
/*
 * What cppcheck sees instead of Criterion's header (scripts/
 * static-analysis.sh puts this directory first on its include path):
 * cppcheck 2.10 cannot parse Criterion's macros ("AST broken"), so each
 * is given here as the plain C it stands for: a test is a function, an
 * assertion that fails ends it. Never compiled.
 */
#ifndef FT_SCRIPTS_CPPCHECK_CRITERION_H
#define FT_SCRIPTS_CPPCHECK_CRITERION_H

#include <stdlib.h>
#include <string.h>

#define CR_FAIL() abort()
#define CR_CHECK(c) ((c) ? (void)0 : CR_FAIL())

#define Test(suite, name, ...) void suite##_##name(void)
#define TestSuite(...) extern int cr_suite_
#define ParameterizedTestParameters(suite, name)                               \
	struct criterion_test_params suite##_##name##_params(void)
#define ParameterizedTest(t, suite, name, ...) void suite##_##name(t)
#define cr_make_param_array(type, arr, n, ...)                                 \
	((struct criterion_test_params){(arr), (n)})
struct criterion_test_params {
	void *params;
	size_t length;
};

#define cr_assert(c, ...) CR_CHECK(c)
#define cr_expect(c, ...) CR_CHECK(c)
#define cr_assert_not(c, ...) CR_CHECK(!(c))
#define cr_expect_not(c, ...) CR_CHECK(!(c))
#define cr_assert_eq(a, b, ...) CR_CHECK((a) == (b))
#define cr_expect_eq(a, b, ...) CR_CHECK((a) == (b))
#define cr_assert_neq(a, b, ...) CR_CHECK((a) != (b))
#define cr_assert_lt(a, b, ...) CR_CHECK((a) < (b))
#define cr_expect_lt(a, b, ...) CR_CHECK((a) < (b))
#define cr_assert_leq(a, b, ...) CR_CHECK((a) <= (b))
#define cr_expect_leq(a, b, ...) CR_CHECK((a) <= (b))
#define cr_assert_gt(a, b, ...) CR_CHECK((a) > (b))
#define cr_assert_geq(a, b, ...) CR_CHECK((a) >= (b))
#define cr_assert_null(p, ...) CR_CHECK((p) == NULL)
#define cr_expect_null(p, ...) CR_CHECK((p) == NULL)
#define cr_assert_not_null(p, ...) CR_CHECK((p) != NULL)
#define cr_expect_not_null(p, ...) CR_CHECK((p) != NULL)
#define cr_assert_str_eq(a, b, ...) CR_CHECK(!strcmp((a), (b)))
#define cr_expect_str_eq(a, b, ...) CR_CHECK(!strcmp((a), (b)))
#define cr_assert_arr_eq(a, b, n, ...) CR_CHECK(!memcmp((a), (b), (n)))
#define cr_assert_float_eq(a, b, eps, ...)                                     \
	CR_CHECK((a) - (b) <= (eps) && (b) - (a) <= (eps))
#define cr_assert_fail(...) CR_FAIL()
#define cr_skip_test(...) return
#define cr_log_info(...) ((void)0)
#define cr_log_warn(...) ((void)0)

#endif /* FT_SCRIPTS_CPPCHECK_CRITERION_H */
