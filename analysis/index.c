/* SPDX-License-Identifier: MIT */
/*
 * Hash index; see index.h.
 */
#include "analysis/index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IDX_GONE ((void *)1)
#define IDX_MIN 1024
#define MIGRATE_PER_INSERT 8

static struct idx_slot *slots_find(struct idx_slot *s, size_t mask,
				   uint64_t h, const void *k, idx_eq_fn eq)
{
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		void *e = s[i].e;

		if (!e)
			return NULL;
		if (e != IDX_GONE && s[i].h == h && eq(e, k))
			return &s[i];
	}
}

static void slots_put(struct idx_slot *s, size_t mask, uint64_t h, void *e)
{
	size_t i = h & mask;

	/* s is never NULL: an old array exists only next to a current one,
	 * which the analyzer cannot see from migrate(). */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	while (s[i].e)
		i = (i + 1) & mask;
	s[i].h = h;
	s[i].e = e;
}

/* 1 when the entry at j, whose home slot is home, may fill a hole at i:
 * its home does not lie in (i, j]. */
static int fills_hole(size_t i, size_t j, size_t home)
{
	return (j > i && (home <= i || home > j)) ||
	       (j < i && home <= i && home > j);
}

/* Empty slot i of an array that takes inserts: shift the run back over
 * the hole, so no tombstone is left behind. */
static void slots_delete(struct idx_slot *s, size_t mask, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!s[j].e)
			break;
		if (fills_hole(i, j, s[j].h & mask)) {
			s[i] = s[j];
			i = j;
		}
	}
	s[i].e = NULL;
}

void *idx_find(const struct idx *x, uint64_t h, const void *k, idx_eq_fn eq)
{
	struct idx_slot *s = NULL;

	if (x->cur)
		s = slots_find(x->cur, x->cur_mask, h, k, eq);
	if (!s && x->old)
		s = slots_find(x->old, x->old_mask, h, k, eq);
	return s ? s->e : NULL;
}

static void migrate(struct idx *x, size_t count)
{
	while (x->old && count--) {
		struct idx_slot *o = &x->old[x->old_pos];

		if (o->e && o->e != IDX_GONE)
			slots_put(x->cur, x->cur_mask, o->h, o->e);
		/* Marked, not emptied: runs stay whole for later lookups. */
		if (o->e)
			o->e = IDX_GONE;
		if (++x->old_pos > x->old_mask) {
			free(x->old);
			x->old = NULL;
		}
	}
}

int idx_insert(struct idx *x, uint64_t h, void *e)
{
	if (!x->cur || (x->n + 1) * 2 > x->cur_mask + 1) {
		size_t cap = x->cur ? 2 * (x->cur_mask + 1) : IDX_MIN;
		struct idx_slot *ns = calloc(cap, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		/* Finish a drain still going before another one starts. */
		migrate(x, SIZE_MAX);
		x->old = x->cur;
		x->old_mask = x->cur_mask;
		x->old_pos = 0;
		x->cur = ns;
		x->cur_mask = cap - 1;
	}
	slots_put(x->cur, x->cur_mask, h, e);
	x->n++;
	migrate(x, MIGRATE_PER_INSERT);
	return 0;
}

void *idx_delete(struct idx *x, uint64_t h, const void *k, idx_eq_fn eq)
{
	struct idx_slot *s;
	void *e;

	if (x->cur && (s = slots_find(x->cur, x->cur_mask, h, k, eq))) {
		e = s->e;
		slots_delete(x->cur, x->cur_mask, (size_t)(s - x->cur));
	} else if (x->old && (s = slots_find(x->old, x->old_mask, h, k, eq))) {
		e = s->e;
		s->e = IDX_GONE;
	} else {
		return NULL;
	}
	x->n--;
	return e;
}

void idx_free(struct idx *x)
{
	free(x->cur);
	free(x->old);
	memset(x, 0, sizeof(*x));
}


static struct idx32_slot *slots32_find(struct idx32_slot *s, size_t mask,
				       uint32_t h, const void *k,
				       idx32_eq_fn eq, const void *ctx)
{
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t e = s[i].e;

		if (!e)
			return NULL;
		if (e != IDX32_GONE && s[i].h == h && eq(ctx, e, k))
			return &s[i];
	}
}

static void slots32_put(struct idx32_slot *s, size_t mask, uint32_t h,
			uint32_t e)
{
	size_t i = h & mask;

	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	while (s[i].e)
		i = (i + 1) & mask;
	s[i].h = h;
	s[i].e = e;
}

static void slots32_delete(struct idx32_slot *s, size_t mask, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!s[j].e)
			break;
		if (fills_hole(i, j, s[j].h & mask)) {
			s[i] = s[j];
			i = j;
		}
	}
	s[i].e = 0;
}

uint32_t idx32_find(const struct idx32 *x, uint64_t h, const void *k,
		    idx32_eq_fn eq, const void *ctx)
{
	struct idx32_slot *s = NULL;

	if (x->cur)
		s = slots32_find(x->cur, x->cur_mask, (uint32_t)h, k, eq, ctx);
	if (!s && x->old)
		s = slots32_find(x->old, x->old_mask, (uint32_t)h, k, eq, ctx);
	return s ? s->e : 0;
}

static void migrate32(struct idx32 *x, size_t count)
{
	while (x->old && count--) {
		struct idx32_slot *o = &x->old[x->old_pos];

		if (o->e && o->e != IDX32_GONE)
			slots32_put(x->cur, x->cur_mask, o->h, o->e);
		if (o->e)
			o->e = IDX32_GONE;
		if (++x->old_pos > x->old_mask) {
			free(x->old);
			x->old = NULL;
		}
	}
}

int idx32_insert(struct idx32 *x, uint64_t h, uint32_t e)
{
	if (!x->cur || (x->n + 1) * 2 > x->cur_mask + 1) {
		size_t cap = x->cur ? 2 * (x->cur_mask + 1) : IDX_MIN;
		struct idx32_slot *ns = calloc(cap, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		migrate32(x, SIZE_MAX);
		x->old = x->cur;
		x->old_mask = x->cur_mask;
		x->old_pos = 0;
		x->cur = ns;
		x->cur_mask = cap - 1;
	}
	slots32_put(x->cur, x->cur_mask, (uint32_t)h, e);
	x->n++;
	migrate32(x, MIGRATE_PER_INSERT);
	return 0;
}

uint32_t idx32_delete(struct idx32 *x, uint64_t h, const void *k,
		      idx32_eq_fn eq, const void *ctx)
{
	struct idx32_slot *s;
	uint32_t e;

	if (x->cur && (s = slots32_find(x->cur, x->cur_mask, (uint32_t)h, k,
					eq, ctx))) {
		e = s->e;
		slots32_delete(x->cur, x->cur_mask, (size_t)(s - x->cur));
	} else if (x->old && (s = slots32_find(x->old, x->old_mask,
					       (uint32_t)h, k, eq, ctx))) {
		e = s->e;
		s->e = IDX32_GONE;
	} else {
		return 0;
	}
	x->n--;
	return e;
}

void idx32_free(struct idx32 *x)
{
	free(x->cur);
	free(x->old);
	memset(x, 0, sizeof(*x));
}
