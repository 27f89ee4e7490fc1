/* SPDX-License-Identifier: MIT */
/*
 * A bounded recursive-descent JSON parser; see json.h. Values live in
 * blocks of nodes owned by the document; decoded strings live in one
 * arena as long as the text (a decoded string and its NUL never take
 * more bytes than its quoted source).
 */
#include "analysis/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_NODES 256

struct block {
	struct block *next;
	size_t used;
	struct json_value v[BLOCK_NODES];
};

struct json_doc {
	struct block *blocks;
	char *strings; /* arena, len + 1 bytes */
	size_t sused;
	struct json_value *root;
};

struct parser {
	const char *p, *start, *end;
	struct json_doc *d;
	char *err;
	int nomem;
};

static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (ps->err[0])
		return -1;
	k = snprintf(ps->err, JSON_ERRBUF,
		     "offset %zu: ", (size_t)(ps->p - ps->start));
	if (k < 0 || k >= JSON_ERRBUF)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + k, JSON_ERRBUF - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

static struct json_value *node(struct parser *ps)
{
	struct block *b = ps->d->blocks;

	if (!b || b->used == BLOCK_NODES) {
		b = calloc(1, sizeof(*b));
		if (!b) {
			ps->nomem = 1;
			fail(ps, "out of memory");
			return NULL;
		}
		b->next = ps->d->blocks;
		ps->d->blocks = b;
	}
	return &b->v[b->used++];
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return fail(ps, "unexpected character");
	ps->p += n;
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of the valid UTF-8 sequence at s (before end), or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0];
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates and code points above U+10FFFF */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* A string at ps->p (on its opening quote), decoded into the arena. */
static int string(struct parser *ps, const char **out, size_t *outlen)
{
	char *o = ps->d->strings + ps->d->sused, *o0 = o;

	ps->p++;
	for (;;) {
		unsigned char c;

		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, "control character in a string");
		if (c != '\\') {
			size_t n = utf8_seq((const unsigned char *)ps->p,
					    (const unsigned char *)ps->end);

			if (!n)
				return fail(ps, "invalid UTF-8 in a string");
			memcpy(o, ps->p, n);
			o += n;
			ps->p += n;
			continue;
		}
		if (ps->end - ps->p < 2)
			return fail(ps, "unterminated string");
		switch (ps->p[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = ps->p[1];
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u': {
			unsigned cp, lo;

			if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp))
				return fail(ps, "bad \\u escape");
			if (cp == 0)
				return fail(ps, "\\u0000 in a string");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(ps, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 12 || ps->p[6] != '\\' ||
				    ps->p[7] != 'u' || hex4(ps->p + 8, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return fail(ps, "lone high surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				ps->p += 6;
			}
			o += put_utf8(o, cp);
			ps->p += 4;
			break;
		}
		default:
			return fail(ps, "bad escape in a string");
		}
		ps->p += 2;
	}
	ps->p++;
	*o++ = '\0';
	*out = o0;
	*outlen = (size_t)(o - o0) - 1;
	ps->d->sused += (size_t)(o - o0);
	return 0;
}

static int number(struct parser *ps, double *out)
{
	const char *s = ps->p, *e = ps->p;
	char buf[64], *end;

	if (e < ps->end && *e == '-')
		e++;
	if (e < ps->end && *e == '0') {
		e++;
	} else if (e < ps->end && *e >= '1' && *e <= '9') {
		while (e < ps->end && *e >= '0' && *e <= '9')
			e++;
	} else {
		return fail(ps, "bad number");
	}
	if (e < ps->end && *e == '.') {
		e++;
		if (e >= ps->end || *e < '0' || *e > '9')
			return fail(ps, "bad number");
		while (e < ps->end && *e >= '0' && *e <= '9')
			e++;
	}
	if (e < ps->end && (*e == 'e' || *e == 'E')) {
		e++;
		if (e < ps->end && (*e == '+' || *e == '-'))
			e++;
		if (e >= ps->end || *e < '0' || *e > '9')
			return fail(ps, "bad number");
		while (e < ps->end && *e >= '0' && *e <= '9')
			e++;
	}
	if ((size_t)(e - s) >= sizeof(buf))
		return fail(ps, "number too long");
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	*out = strtod(buf, &end);
	(void)end;
	if (!isfinite(*out))
		return fail(ps, "number out of range");
	ps->p = e;
	return 0;
}

static struct json_value *value(struct parser *ps, int depth);

static int members(struct parser *ps, struct json_value *v, int depth,
		   int object)
{
	struct json_value **tail = &v->child;
	char close = object ? '}' : ']';

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen;
		struct json_value *c;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a member name");
			if (string(ps, &key, &klen))
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
		}
		c = value(ps, depth + 1);
		if (!c)
			return -1;
		c->key = key;
		*tail = c;
		tail = &c->next;
		v->len++;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unterminated %s",
				    object ? "object" : "array");
		if (*ps->p == close) {
			ps->p++;
			return 0;
		}
		if (*ps->p != ',')
			return fail(ps, "expected ',' or '%c'", close);
		ps->p++;
	}
}

static struct json_value *value(struct parser *ps, int depth)
{
	struct json_value *v;
	int rc = 0;

	if (depth > JSON_MAX_DEPTH) {
		fail(ps, "nested deeper than %d", JSON_MAX_DEPTH);
		return NULL;
	}
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "missing value");
		return NULL;
	}
	v = node(ps);
	if (!v)
		return NULL;
	switch (*ps->p) {
	case '{':
		v->type = JSON_OBJECT;
		rc = members(ps, v, depth, 1);
		break;
	case '[':
		v->type = JSON_ARRAY;
		rc = members(ps, v, depth, 0);
		break;
	case '"':
		v->type = JSON_STRING;
		rc = string(ps, &v->str, &v->len);
		break;
	case 't':
		v->type = JSON_TRUE;
		rc = literal(ps, "true");
		break;
	case 'f':
		v->type = JSON_FALSE;
		rc = literal(ps, "false");
		break;
	case 'n':
		v->type = JSON_NULL;
		rc = literal(ps, "null");
		break;
	default:
		v->type = JSON_NUMBER;
		rc = number(ps, &v->num);
		break;
	}
	return rc ? NULL : v;
}

struct json_doc *json_parse(const char *text, size_t len, char *err)
{
	struct parser ps = {text, text, text + len, NULL, err, 0};
	struct json_doc *d;

	err[0] = '\0';
	if (len > JSON_MAX_TEXT) {
		snprintf(err, JSON_ERRBUF, "longer than %zu bytes",
			 JSON_MAX_TEXT);
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d)
		d->strings = malloc(len + 1);
	if (!d || !d->strings) {
		free(d);
		snprintf(err, JSON_ERRBUF, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ps.d = d;
	d->root = value(&ps, 1);
	if (d->root) {
		skip_ws(&ps);
		if (ps.p < ps.end) {
			fail(&ps, "unexpected text after the value");
			d->root = NULL;
		}
	}
	if (!d->root) {
		json_free(d);
		errno = ps.nomem ? ENOMEM : EINVAL;
		return NULL;
	}
	return d;
}

const struct json_value *json_root(const struct json_doc *d)
{
	return d ? d->root : NULL;
}

void json_free(struct json_doc *d)
{
	if (!d)
		return;
	while (d->blocks) {
		struct block *b = d->blocks;

		d->blocks = b->next;
		free(b);
	}
	free(d->strings);
	free(d);
}

const struct json_value *json_get(const struct json_value *o, const char *key)
{
	if (!o || o->type != JSON_OBJECT)
		return NULL;
	for (const struct json_value *c = o->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

const char *json_str(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->str : NULL;
}

int json_num(const struct json_value *v, double *out)
{
	if (!v || v->type != JSON_NUMBER)
		return -EINVAL;
	*out = v->num;
	return 0;
}
