/* SPDX-License-Identifier: MIT */
/*
 * The bounded JSON parser: what it takes, and that hostile input (deep
 * nesting, truncation at every byte, bad escapes and numbers, invalid
 * UTF-8, random bytes) is refused without a crash or a leak.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/json.h"

static struct json_doc *parse(const char *s, char *err)
{
	return json_parse(s, strlen(s), err);
}

static void refused(const char *s)
{
	char err[JSON_ERRBUF];
	struct json_doc *d = parse(s, err);

	cr_assert_null(d, "accepted: %s", s);
	cr_assert_eq(errno, EINVAL, "%s", s);
	cr_assert(!strncmp(err, "offset ", 7), "%s: %s", s, err);
}

Test(json, object_of_every_type)
{
	char err[JSON_ERRBUF];
	struct json_doc *d = parse(
		" {\"type\":\"service\",\"n\":-12.5e1,\"t\":true,\"f\":false,"
		"\"z\":null,\"a\":[1,[2],{}],\"o\":{\"k\":\"v\"}} \n",
		err);
	const struct json_value *r, *a;
	double v;

	cr_assert_not_null(d, "%s", err);
	r = json_root(d);
	cr_assert_eq(r->type, JSON_OBJECT);
	cr_assert_eq(r->len, 7);
	cr_assert_str_eq(json_str(json_get(r, "type")), "service");
	cr_assert_eq(json_num(json_get(r, "n"), &v), 0);
	cr_assert_float_eq(v, -125.0, 1e-9);
	cr_assert_eq(json_get(r, "t")->type, JSON_TRUE);
	cr_assert_eq(json_get(r, "f")->type, JSON_FALSE);
	cr_assert_eq(json_get(r, "z")->type, JSON_NULL);
	a = json_get(r, "a");
	cr_assert_eq(a->type, JSON_ARRAY);
	cr_assert_eq(a->len, 3);
	cr_assert_eq(a->child->next->child->num, 2);
	cr_assert_eq(a->child->next->next->type, JSON_OBJECT);
	cr_assert_str_eq(json_str(json_get(json_get(r, "o"), "k")), "v");
	cr_assert_null(json_get(r, "missing"));
	cr_assert_null(json_get(a, "k"), "an array has no members");
	cr_assert_null(json_str(json_get(r, "n")));
	cr_assert_eq(json_num(json_get(r, "type"), &v), -EINVAL);
	json_free(d);
	json_free(NULL);
}

Test(json, string_escapes_decode_to_utf8)
{
	char err[JSON_ERRBUF];
	struct json_doc *d = parse(
		"\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"", err);
	const struct json_value *r;

	cr_assert_not_null(d, "%s", err);
	r = json_root(d);
	cr_assert_str_eq(r->str, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac"
				 "\xf0\x9f\x98\x80");
	cr_assert_eq(r->len, strlen(r->str));
	json_free(d);
}

Test(json, raw_utf8_is_kept)
{
	char err[JSON_ERRBUF];
	struct json_doc *d = parse("[\"caf\xc3\xa9\"]", err);

	cr_assert_not_null(d, "%s", err);
	cr_assert_str_eq(json_root(d)->child->str, "caf\xc3\xa9");
	json_free(d);
}

Test(json, hostile_input_is_refused)
{
	static const char *const bad[] = {
		"",
		"   ",
		"{",
		"}",
		"[1,]",
		"[,1]",
		"{\"a\"}",
		"{\"a\":}",
		"{\"a\":1,}",
		"{a:1}",
		"{\"a\":1}}",
		"[1] [2]",
		"\"unterminated",
		"\"bad \\x escape\"",
		"\"\\u12\"",
		"\"\\u0000\"",
		"\"\\ud800\"",
		"\"\\ud800\\u0041\"",
		"\"\\udc00\"",
		"\"tab\there\"",
		"\"\xff\"",
		"\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"",
		"\"\xe2\x82\"",
		"01",
		"1.",
		".5",
		"-",
		"+1",
		"1e",
		"1e+",
		"NaN",
		"Infinity",
		"1e999",
		"tru",
		"nul",
		"falsey",
		"[1 2]",
		/* an 80-digit number, written in two */
		("123456789012345678901234567890123456789012345678901234567890"
		 "12345678901234567890"),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i]);
}

Test(json, embedded_nul_is_refused)
{
	char err[JSON_ERRBUF];

	cr_assert_null(json_parse("[1]\0", 4, err));
	cr_assert_null(json_parse("\"a\0b\"", 5, err));
}

Test(json, nesting_is_bounded)
{
	size_t n = 100000;
	char *s = malloc(2 * n + 1), err[JSON_ERRBUF];
	struct json_doc *d;

	cr_assert_not_null(s);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	cr_assert_null(json_parse(s, 2 * n, err));
	cr_assert(strstr(err, "nested deeper"), "%s", err);
	/* exactly the bound is fine */
	d = json_parse(s + n - JSON_MAX_DEPTH, 2 * JSON_MAX_DEPTH, err);
	cr_assert_not_null(d, "%s", err);
	json_free(d);
	free(s);
}

Test(json, every_truncation_is_refused)
{
	static const char doc[] =
		"{\"type\":\"service\",\"verdicts\":{\"never-closed\":28},"
		"\"close_wait\":{\"p90\":1.5e0,\"s\":\"\\u00e9\\ud83d\\ude00\"}"
		","
		"\"x\":[true,false,null,-0.25]}";
	char err[JSON_ERRBUF];
	struct json_doc *d;

	for (size_t n = 0; n < sizeof(doc) - 1; n++) {
		d = json_parse(doc, n, err);
		cr_assert_null(d, "prefix of %zu bytes accepted", n);
	}
	d = json_parse(doc, sizeof(doc) - 1, err);
	cr_assert_not_null(d, "%s", err);
	json_free(d);
}

/* Random bytes and mutations of a valid line: no crash, no leak (ASan). */
Test(json, random_input_never_crashes)
{
	static const char seed[] =
		"{\"type\":\"summary\",\"version\":\"0.1.0\",\"a\":[1,2.5e-3,"
		"{\"b\":\"\\u00e9\"}],\"c\":null}";
	static const char alphabet[] =
		"{}[]:,\"\\u0123456789eE+-.tfnlrsa \n\x80\xff";
	char buf[sizeof(seed)], err[JSON_ERRBUF];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int round = 0; round < 20000; round++) {
		size_t n = sizeof(seed) - 1;
		struct json_doc *d;

		memcpy(buf, seed, n);
		for (int k = 0; k < 1 + round % 6; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[x % n] =
				alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
		}
		d = json_parse(buf, n, err);
		if (d)
			cr_assert_not_null(json_root(d));
		json_free(d);
	}
}
