/* SPDX-License-Identifier: MIT */
/*
 * A small JSON parser (RFC 8259) for reading fintrace's own JSON Lines
 * back: objects, arrays, strings, numbers, true, false and null, into a
 * tree owned by one document. It is bounded and meant for hostile input:
 * nesting deeper than JSON_MAX_DEPTH, text longer than JSON_MAX_TEXT, a
 * string with "\u0000", a lone surrogate, a control character, invalid
 * UTF-8, a bad number or anything after the value is refused with the
 * byte offset of the fault. Memory is at most a small multiple of the
 * text's length. Numbers are doubles (fintrace's counts fit in 2^53).
 */
#ifndef FT_ANALYSIS_JSON_H
#define FT_ANALYSIS_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_TEXT ((size_t)64 << 20)
#define JSON_ERRBUF 128

enum json_type {
	JSON_NULL = 0,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	double num;		  /* JSON_NUMBER */
	const char *str;	  /* JSON_STRING: UTF-8, NUL-terminated */
	size_t len;		  /* string bytes; members or elements */
	const char *key;	  /* member name, when in an object */
	struct json_value *child; /* first element or member */
	struct json_value *next;  /* next sibling */
};

struct json_doc;

/*
 * Parse text[0..len) (no NUL needed) as one JSON value with optional
 * white space around it. Returns the document (caller frees with
 * json_free), or NULL with errno EINVAL and "offset N: cause" in err
 * (JSON_ERRBUF bytes), or ENOMEM.
 */
struct json_doc *json_parse(const char *text, size_t len, char *err);

/* The document's value; borrowed, valid until json_free(). */
const struct json_value *json_root(const struct json_doc *d);

/* Free the document and every value in it; NULL is a no-op. */
void json_free(struct json_doc *d);

/* The first member named key of object o, or NULL (also if o is not one). */
const struct json_value *json_get(const struct json_value *o, const char *key);

/* v's string (borrowed), or NULL when v is NULL or not a string. */
const char *json_str(const struct json_value *v);

/*
 * v's number in *out. Returns 0, or -EINVAL when v is NULL or not a
 * number (*out untouched).
 */
int json_num(const struct json_value *v, double *out);

#endif /* FT_ANALYSIS_JSON_H */
