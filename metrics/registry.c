/* SPDX-License-Identifier: MIT */
/*
 * Metric families, their series (an open-addressing index over the label
 * values) and the Prometheus text exposition 0.0.4.
 */
#include "metrics/registry.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mx_series {
	char values[MX_LABELS_MAX][MX_VALUE_SIZE];
	double value; /* gauge, counter; histogram: the sum */
	uint64_t count;
	uint64_t bucket[MX_BUCKETS_MAX]; /* per bucket, not cumulative */
	int overflow;
};

struct mx_family {
	struct mx_def def;
	unsigned nlabels;
	struct mx_series *series;
	size_t n;	 /* series in use */
	size_t slots;	 /* max_series + MX_OVERFLOW_MAX + 1 */
	size_t alloc;	 /* series allocated, up to slots */
	size_t normal;	 /* series counted against max_series */
	size_t overflow; /* overflow series that keep enum labels */
	uint32_t *index; /* series number + 1, 0 = empty; power of two */
	size_t index_size;
};

struct mx_registry {
	struct mx_family fam[MX_FAMILIES_MAX];
	int n;
};

struct mx_registry *mx_new(void)
{
	return calloc(1, sizeof(struct mx_registry));
}

void mx_free(struct mx_registry *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->fam[i].series);
		free(r->fam[i].index);
	}
	free(r);
}

static int name_ok(const char *s, int colon)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    c == '_' || (colon && c == ':');

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

static int def_check(const struct mx_def *d, unsigned *nlabels)
{
	unsigned i, j;

	if (!name_ok(d->name, 1) || d->type > MX_HISTOGRAM)
		return -EINVAL;
	for (i = 0; i < MX_LABELS_MAX && d->labels[i]; i++) {
		if (!name_ok(d->labels[i], 0) ||
		    strncmp(d->labels[i], "__", 2) == 0)
			return -EINVAL;
		if (d->type == MX_HISTOGRAM && strcmp(d->labels[i], "le") == 0)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (strcmp(d->labels[i], d->labels[j]) == 0)
				return -EINVAL;
	}
	*nlabels = i;
	if (d->type != MX_HISTOGRAM)
		return 0;
	if (!d->buckets || d->nbuckets < 1 || d->nbuckets > MX_BUCKETS_MAX)
		return -EINVAL;
	for (i = 0; i < d->nbuckets; i++)
		if (!isfinite(d->buckets[i]) ||
		    (i > 0 && d->buckets[i] <= d->buckets[i - 1]))
			return -EINVAL;
	return 0;
}

int mx_family_add(struct mx_registry *r, const struct mx_def *def)
{
	struct mx_family *f;
	unsigned nlabels;
	size_t max;
	int i, ret;

	ret = def_check(def, &nlabels);
	if (ret)
		return ret;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->fam[i].def.name, def->name) == 0)
			return -EEXIST;
	if (r->n == MX_FAMILIES_MAX)
		return -ENOSPC;
	f = &r->fam[r->n];
	memset(f, 0, sizeof(*f));
	f->def = *def;
	f->nlabels = nlabels;
	max = def->max_series ? def->max_series : MX_SERIES_DEFAULT;
	f->def.max_series = (unsigned)max;
	f->slots = nlabels ? max + MX_OVERFLOW_MAX + 1 : 1;
	f->index_size = 16;
	while (f->index_size < 2 * f->slots)
		f->index_size *= 2;
	f->index = calloc(f->index_size, sizeof(*f->index));
	if (!f->index)
		return -ENOMEM;
	/* series (large) grow on demand up to slots; the index is sized
	 * for slots at once */
	if (!nlabels) {
		f->series = calloc(1, sizeof(*f->series));
		if (!f->series) {
			free(f->index);
			return -ENOMEM;
		}
		f->n = f->alloc = 1;
	}
	return r->n++;
}

/* Length of the UTF-8 character at s, 0 when s starts no valid one. */
static size_t utf8_char_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Copy a label value: cut at a character boundary, invalid bytes '?'. */
static void value_copy(char *dst, const char *src)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t len = 0, n;

	while (*s) {
		n = utf8_char_len(s);
		if (len + (n ? n : 1) > MX_VALUE_SIZE - 1)
			break;
		if (!n) {
			dst[len++] = '?';
			s++;
			continue;
		}
		memcpy(dst + len, s, n);
		len += n;
		s += n;
	}
	dst[len] = '\0';
}

static uint32_t values_hash(char v[][MX_VALUE_SIZE], unsigned n)
{
	uint32_t h = 2166136261u;
	unsigned i;
	const char *p;

	for (i = 0; i < n; i++) {
		for (p = v[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h = (h ^ 0xffu) * 16777619u; /* separator */
	}
	return h;
}

static int values_equal(char a[][MX_VALUE_SIZE], char b[][MX_VALUE_SIZE],
			unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* Find the series with values v, or the index slot where it would go. */
static struct mx_series *lookup(struct mx_family *f, char v[][MX_VALUE_SIZE],
				size_t *slot)
{
	size_t mask = f->index_size - 1, i = values_hash(v, f->nlabels) & mask;
	struct mx_series *s;

	while (f->index[i]) {
		s = &f->series[f->index[i] - 1];
		if (values_equal(s->values, v, f->nlabels))
			return s;
		i = (i + 1) & mask;
	}
	*slot = i;
	return NULL;
}

static struct mx_series *insert(struct mx_family *f, char v[][MX_VALUE_SIZE],
				size_t slot, int overflow)
{
	struct mx_series *s;

	if (f->n == f->slots)
		return NULL; /* not reached: the caller kept within slots */
	if (f->n == f->alloc) {
		size_t want = f->alloc ? 2 * f->alloc : 8;

		if (want > f->slots)
			want = f->slots;
		/* the index holds numbers, not pointers: moving is fine */
		s = realloc(f->series, want * sizeof(*f->series));
		if (!s)
			return NULL;
		f->series = s;
		f->alloc = want;
	}
	s = &f->series[f->n];
	memset(s, 0, sizeof(*s));
	memcpy(s->values, v, sizeof(s->values));
	s->overflow = overflow;
	f->index[slot] = (uint32_t)++f->n;
	return s;
}

/* The series for values, created if needed; *over set when overflowing. */
static struct mx_series *series_get(struct mx_family *f,
				    const char *const *values, int *over)
{
	char v[MX_LABELS_MAX][MX_VALUE_SIZE];
	struct mx_series *s;
	size_t slot = 0;
	unsigned i;

	*over = 0;
	if (!f->nlabels)
		return &f->series[0];
	memset(v, 0, sizeof(v));
	for (i = 0; i < f->nlabels; i++)
		value_copy(v[i], values ? values[i] : NULL);
	s = lookup(f, v, &slot);
	if (s) {
		*over = s->overflow;
		return s;
	}
	if (f->normal < f->def.max_series) {
		s = insert(f, v, slot, 0);
		if (s)
			f->normal++;
		return s;
	}
	*over = 1;
	for (i = 0; i < f->nlabels; i++)
		if (!(f->def.enum_labels & (1u << i)))
			strcpy(v[i], MX_OTHER);
	s = lookup(f, v, &slot);
	if (s)
		return s;
	if (f->overflow < MX_OVERFLOW_MAX) {
		s = insert(f, v, slot, 1);
		if (s)
			f->overflow++;
		return s;
	}
	/* the last resort: one series with every value "other" */
	for (i = 0; i < f->nlabels; i++)
		strcpy(v[i], MX_OTHER);
	s = lookup(f, v, &slot);
	return s ? s : insert(f, v, slot, 1);
}

static struct mx_family *family(struct mx_registry *r, int fam)
{
	if (!r || fam < 0 || fam >= r->n)
		return NULL;
	return &r->fam[fam];
}

enum op { OP_SET, OP_ADD, OP_OBSERVE, OP_MAX };

/* n: observations of x (OP_OBSERVE); the other ops ignore it */
static int update(struct mx_registry *r, int fam, const char *const *values,
		  enum op op, double x, uint64_t n)
{
	struct mx_family *f = family(r, fam);
	struct mx_series *s;
	unsigned i;
	int over;

	if (!f)
		return -EINVAL;
	if ((op == OP_OBSERVE) != (f->def.type == MX_HISTOGRAM))
		return -EINVAL;
	if (op == OP_ADD && f->def.type == MX_COUNTER && !(x >= 0))
		return -EINVAL;
	if (op == OP_OBSERVE && isnan(x))
		return -EINVAL;
	if (op == OP_MAX && f->def.type != MX_GAUGE)
		return -EINVAL;
	s = series_get(f, values, &over);
	if (!s)
		return -ENOMEM;
	switch (op) {
	case OP_SET:
		s->value = x;
		break;
	case OP_ADD:
		s->value += x;
		break;
	case OP_MAX:
		/* a new series starts at 0 */
		if (x > s->value)
			s->value = x;
		break;
	case OP_OBSERVE:
		for (i = 0; i < f->def.nbuckets; i++)
			if (x <= f->def.buckets[i]) {
				s->bucket[i] += n;
				break;
			}
		s->value += x * (double)n;
		s->count += n;
	}
	return over;
}

int mx_set(struct mx_registry *r, int fam, const char *const *values, double v)
{
	return update(r, fam, values, OP_SET, v, 0);
}

int mx_add(struct mx_registry *r, int fam, const char *const *values,
	   double delta)
{
	return update(r, fam, values, OP_ADD, delta, 0);
}

int mx_set_max(struct mx_registry *r, int fam, const char *const *values,
	       double v)
{
	return update(r, fam, values, OP_MAX, v, 0);
}

int mx_observe(struct mx_registry *r, int fam, const char *const *values,
	       double x)
{
	return update(r, fam, values, OP_OBSERVE, x, 1);
}

int mx_observe_n(struct mx_registry *r, int fam, const char *const *values,
		 double x, uint64_t n)
{
	return update(r, fam, values, OP_OBSERVE, x, n);
}

void mx_family_clear(struct mx_registry *r, int fam)
{
	struct mx_family *f = family(r, fam);

	if (!f)
		return;
	if (!f->nlabels) {
		memset(f->series, 0, sizeof(*f->series));
		return;
	}
	memset(f->index, 0, f->index_size * sizeof(*f->index));
	f->n = f->normal = f->overflow = 0;
}

size_t mx_series_count(const struct mx_registry *r, int fam)
{
	if (!r || fam < 0 || fam >= r->n)
		return 0;
	return r->fam[fam].n;
}

/* Output to a FILE or to a buffer with snprintf semantics. */
struct sink {
	FILE *f;
	char *buf;
	size_t size;
	size_t len;
	int err;
};

static void put(struct sink *k, const char *s, size_t n)
{
	if (k->f) {
		if (!k->err && n && fwrite(s, 1, n, k->f) != n)
			k->err = errno ? -errno : -EIO;
	} else if (k->len < k->size) {
		size_t room = k->size - k->len;

		memcpy(k->buf + k->len, s, n < room ? n : room);
	}
	k->len += n;
}

static void puts_(struct sink *k, const char *s)
{
	put(k, s, strlen(s));
}

/* Write s with the characters in esc ("\\\n" or "\\\"\n") escaped. */
static void put_escaped(struct sink *k, const char *s, const char *esc)
{
	const char *start = s;

	for (; *s; s++) {
		if (!strchr(esc, *s))
			continue;
		put(k, start, (size_t)(s - start));
		put(k, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		start = s + 1;
	}
	put(k, start, (size_t)(s - start));
}

/* Shortest decimal form that reads back as v; Prometheus' spellings of
 * the special values. */
static const char *fmt_double(char *out, size_t size, double v)
{
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	snprintf(out, size, "%.15g", v);
	if (strtod(out, NULL) != v)
		snprintf(out, size, "%.17g", v);
	return out;
}

static void put_double(struct sink *k, double v)
{
	char num[40];

	puts_(k, fmt_double(num, sizeof(num), v));
}

/* name{l1="v1",...[,le="B"]} value\n */
static void put_sample(struct sink *k, const struct mx_family *f,
		       const struct mx_series *s, const char *suffix,
		       const char *le, double v)
{
	unsigned i;

	puts_(k, f->def.name);
	puts_(k, suffix);
	if (f->nlabels || le) {
		put(k, "{", 1);
		for (i = 0; i < f->nlabels; i++) {
			if (i)
				put(k, ",", 1);
			puts_(k, f->def.labels[i]);
			put(k, "=\"", 2);
			put_escaped(k, s->values[i], "\\\"\n");
			put(k, "\"", 1);
		}
		if (le) {
			puts_(k, f->nlabels ? ",le=\"" : "le=\"");
			puts_(k, le);
			put(k, "\"", 1);
		}
		put(k, "}", 1);
	}
	put(k, " ", 1);
	put_double(k, v);
	put(k, "\n", 1);
}

static void put_series(struct sink *k, const struct mx_family *f,
		       const struct mx_series *s)
{
	char le[40];
	uint64_t cum = 0;
	unsigned i;

	if (f->def.type != MX_HISTOGRAM) {
		put_sample(k, f, s, "", NULL, s->value);
		return;
	}
	for (i = 0; i < f->def.nbuckets; i++) {
		cum += s->bucket[i];
		put_sample(k, f, s, "_bucket",
			   fmt_double(le, sizeof(le), f->def.buckets[i]),
			   (double)cum);
	}
	put_sample(k, f, s, "_bucket", "+Inf", (double)s->count);
	put_sample(k, f, s, "_sum", NULL, s->value);
	put_sample(k, f, s, "_count", NULL, (double)s->count);
}

static int cmp_series(const void *a, const void *b, void *ctx)
{
	const struct mx_family *f = ctx;
	const struct mx_series *x = &f->series[*(const uint32_t *)a];
	const struct mx_series *y = &f->series[*(const uint32_t *)b];
	unsigned i;
	int c;

	for (i = 0; i < f->nlabels; i++) {
		c = strcmp(x->values[i], y->values[i]);
		if (c)
			return c;
	}
	return 0;
}

static void put_family(struct sink *k, const struct mx_family *f)
{
	static const char *const types[] = {"gauge", "counter", "histogram"};
	uint32_t *order;
	size_t i;

	if (!f->n)
		return;
	puts_(k, "# HELP ");
	puts_(k, f->def.name);
	put(k, " ", 1);
	put_escaped(k, f->def.help ? f->def.help : "", "\\\n");
	puts_(k, "\n# TYPE ");
	puts_(k, f->def.name);
	put(k, " ", 1);
	puts_(k, types[f->def.type]);
	put(k, "\n", 1);
	order = malloc(f->n * sizeof(*order));
	if (!order) { /* unsorted is still a valid exposition */
		for (i = 0; i < f->n; i++)
			put_series(k, f, &f->series[i]);
		return;
	}
	for (i = 0; i < f->n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, f->n, sizeof(*order), cmp_series, (void *)f);
	for (i = 0; i < f->n; i++)
		put_series(k, f, &f->series[order[i]]);
	free(order);
}

static void render(const struct mx_registry *r, struct sink *k)
{
	int i;

	for (i = 0; i < r->n; i++)
		put_family(k, &r->fam[i]);
}

int mx_write(const struct mx_registry *r, FILE *f)
{
	struct sink k = {.f = f};

	errno = 0;
	render(r, &k);
	if (!k.err && fflush(f) != 0)
		k.err = errno ? -errno : -EIO;
	return k.err;
}

size_t mx_render(const struct mx_registry *r, char *buf, size_t size)
{
	struct sink k = {.buf = buf, .size = size};

	render(r, &k);
	if (size)
		buf[k.len < size ? k.len : size - 1] = '\0';
	return k.len;
}
