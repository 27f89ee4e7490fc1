/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the JSON parser (analysis/json.h) and the reader
 * of fintrace compare (analysis/compare.h): the input is parsed whole as
 * one JSON value, then fed line by line to a compare report, which is
 * compared with itself and written in every format to /dev/null.
 *
 * Checked besides memory errors: a parsed string's length is that of its
 * text (no NUL inside); a refused input says why; a report compared with
 * itself is never worse.
 */
#include <string.h>

#include "analysis/compare.h"
#include "analysis/json.h"
#include "fuzz.h"

/* Walk v, checking what the parser promises; depth bounded by the parser. */
static void walk(const struct json_value *v)
{
	size_t n = 0;

	if (v->type == JSON_STRING)
		FZ_CHECK(strlen(v->str) == v->len);
	if (v->key)
		FZ_CHECK(strlen(v->key) < (size_t)1 << 30);
	for (const struct json_value *c = v->child; c; c = c->next) {
		FZ_CHECK(v->type == JSON_ARRAY || v->type == JSON_OBJECT);
		FZ_CHECK((v->type == JSON_OBJECT) == (c->key != NULL));
		walk(c);
		n++;
	}
	if (v->type == JSON_ARRAY || v->type == JSON_OBJECT)
		FZ_CHECK(n == v->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char jerr[JSON_ERRBUF], err[CMP_ERRBUF];
	struct json_doc *d = json_parse(text, size, jerr);
	struct cmp_report r;
	struct cmp_result res;
	FILE *null;

	if (d)
		walk(json_root(d));
	else
		FZ_CHECK(jerr[0]);
	json_free(d);

	cmp_report_init(&r, "fuzz");
	for (size_t at = 0; at < size;) {
		const char *nl = memchr(text + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (text + at)) : size - at;

		if (cmp_report_line(&r, text + at, len, err))
			FZ_CHECK(err[0]);
		at += len + 1;
	}
	cmp_report_finish(&r, "0.1.0", err);
	if (!cmp_diff(&r, &r, &res)) {
		FZ_CHECK(!cmp_worse(&res));
		null = fopen("/dev/null", "w");
		if (null) {
			cmp_write_text(null, &res);
			cmp_write_json(null, &res);
			cmp_write_html(null, &res, "fintrace compare a b");
			fclose(null);
		}
		cmp_result_free(&res);
	}
	cmp_report_free(&r);
	return 0;
}
