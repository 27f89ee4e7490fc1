/* SPDX-License-Identifier: MIT */
/*
 * Hash index; see index.h.
 */
#include "analysis/index.h"

#include "analysis/bigmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IDX_GONE ((void *)1)
#define IDX_MIN 1024
#define MIGRATE_PER_INSERT 8

/*
 * The algorithm, written once for both slot types: S the slot, E its
 * entry (0 or NULL: an empty slot; GONE: moved or deleted), H the hash
 * kept in a slot, X the index. eq(ctx, e, k) is the caller's key test.
 * S, E, H and X are types, which parentheses cannot enclose.
 */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define IDX_ALGO(P, X, S, E, H, GONE)                                        \
	static S *P##_slots_find(S *s, size_t mask, H h, const void *k,       \
				 int (*eq)(const void *, E, const void *),    \
				 const void *ctx)                             \
	{                                                                     \
		for (size_t i = h & mask;; i = (i + 1) & mask) {              \
			E e = s[i].e;                                         \
                                                                              \
			if (!e)                                               \
				return NULL;                                  \
			if (e != (GONE) && s[i].h == h && eq(ctx, e, k))      \
				return &s[i];                                 \
		}                                                             \
	}                                                                     \
                                                                              \
	static void P##_slots_put(S *s, size_t mask, H h, E e)                \
	{                                                                     \
		size_t i = h & mask;                                          \
                                                                              \
		/* s is never NULL: an old array exists only next to a       \
		 * current one, which the analyzer cannot see. */             \
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */     \
		while (s[i].e)                                                \
			i = (i + 1) & mask;                                   \
		s[i].h = h;                                                   \
		s[i].e = e;                                                   \
	}                                                                     \
                                                                              \
	/* Empty slot i of an array that takes inserts: shift the run back   \
	 * over the hole, so no tombstone is left behind. */                 \
	static void P##_slots_delete(S *s, size_t mask, size_t i)             \
	{                                                                     \
		size_t j = i;                                                 \
                                                                              \
		for (;;) {                                                    \
			j = (j + 1) & mask;                                   \
			if (!s[j].e)                                          \
				break;                                        \
			if (fills_hole(i, j, s[j].h & mask)) {                \
				s[i] = s[j];                                  \
				i = j;                                        \
			}                                                     \
		}                                                             \
		s[i].e = 0;                                                   \
	}                                                                     \
                                                                              \
	static S *P##_lookup(const X *x, H h, const void *k,                  \
			     int (*eq)(const void *, E, const void *),        \
			     const void *ctx)                                 \
	{                                                                     \
		S *s = NULL;                                                  \
                                                                              \
		if (x->cur)                                                   \
			s = P##_slots_find(x->cur, x->cur_mask, h, k, eq,     \
					   ctx);                              \
		if (!s && x->old)                                             \
			s = P##_slots_find(x->old, x->old_mask, h, k, eq,     \
					   ctx);                              \
		return s;                                                     \
	}                                                                     \
                                                                              \
	static void P##_migrate(X *x, size_t count)                           \
	{                                                                     \
		while (x->old && count--) {                                   \
			S *o = &x->old[x->old_pos];                           \
                                                                              \
			if (o->e && o->e != (GONE))                           \
				P##_slots_put(x->cur, x->cur_mask, o->h,      \
					      o->e);                          \
			/* Marked, not emptied: runs stay whole for later    \
			 * lookups. */                                        \
			if (o->e)                                             \
				o->e = (GONE);                                \
			if (++x->old_pos > x->old_mask) {                     \
				bigmem_free(x->old, (x->old_mask + 1) *       \
							    sizeof(S));       \
				x->old = NULL;                                \
			}                                                     \
		}                                                             \
	}                                                                     \
                                                                              \
	static int P##_add(X *x, H h, E e)                                    \
	{                                                                     \
		if (!x->cur || (x->n + 1) * 2 > x->cur_mask + 1) {            \
			size_t cap = x->cur ? 2 * (x->cur_mask + 1) : IDX_MIN;\
			S *ns = bigmem_zalloc(cap * sizeof(*ns));             \
                                                                              \
			if (!ns)                                              \
				return -ENOMEM;                               \
			/* Finish a drain still going before another one     \
			 * starts. */                                         \
			P##_migrate(x, SIZE_MAX);                             \
			x->old = x->cur;                                      \
			x->old_mask = x->cur_mask;                            \
			x->old_pos = 0;                                       \
			x->cur = ns;                                          \
			x->cur_mask = cap - 1;                                \
		}                                                             \
		P##_slots_put(x->cur, x->cur_mask, h, e);                     \
		x->n++;                                                       \
		P##_migrate(x, MIGRATE_PER_INSERT);                           \
		return 0;                                                     \
	}                                                                     \
                                                                              \
	static E P##_remove(X *x, H h, const void *k,                         \
			    int (*eq)(const void *, E, const void *),         \
			    const void *ctx)                                  \
	{                                                                     \
		S *s;                                                         \
		E e;                                                          \
                                                                              \
		if (x->cur && (s = P##_slots_find(x->cur, x->cur_mask, h, k,  \
						  eq, ctx))) {                \
			e = s->e;                                             \
			P##_slots_delete(x->cur, x->cur_mask,                 \
					 (size_t)(s - x->cur));               \
		} else if (x->old && (s = P##_slots_find(x->old, x->old_mask, \
							 h, k, eq, ctx))) {   \
			e = s->e;                                             \
			s->e = (GONE);                                        \
		} else {                                                      \
			return 0;                                             \
		}                                                             \
		x->n--;                                                       \
		return e;                                                     \
	}                                                                     \
                                                                              \
	static void P##_clear(X *x)                                           \
	{                                                                     \
		bigmem_free(x->cur, (x->cur_mask + 1) * sizeof(S));           \
		bigmem_free(x->old, (x->old_mask + 1) * sizeof(S));           \
		memset(x, 0, sizeof(*x));                                     \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

/* 1 when the entry at j, whose home slot is home, may fill a hole at i:
 * its home does not lie in (i, j]. */
static int fills_hole(size_t i, size_t j, size_t home)
{
	return (j > i && (home <= i || home > j)) ||
	       (j < i && home <= i && home > j);
}

IDX_ALGO(ptr, struct idx, struct idx_slot, void *, uint64_t, IDX_GONE)
IDX_ALGO(num, struct idx32, struct idx32_slot, uint32_t, uint32_t,
	 IDX32_GONE)

/* The pointer index's key test, called through the shared algorithm. */
static int ptr_eq(const void *ctx, void *e, const void *k)
{
	return (*(const idx_eq_fn *)ctx)(e, k);
}

void *idx_find(const struct idx *x, uint64_t h, const void *k, idx_eq_fn eq)
{
	struct idx_slot *s = ptr_lookup(x, h, k, ptr_eq, &eq);

	return s ? s->e : NULL;
}

int idx_insert(struct idx *x, uint64_t h, void *e)
{
	return ptr_add(x, h, e);
}

void *idx_delete(struct idx *x, uint64_t h, const void *k, idx_eq_fn eq)
{
	return ptr_remove(x, h, k, ptr_eq, &eq);
}

void idx_free(struct idx *x)
{
	ptr_clear(x);
}

uint32_t idx32_find(const struct idx32 *x, uint64_t h, const void *k,
		    idx32_eq_fn eq, const void *ctx)
{
	struct idx32_slot *s = num_lookup(x, (uint32_t)h, k, eq, ctx);

	return s ? s->e : 0;
}

int idx32_insert(struct idx32 *x, uint64_t h, uint32_t e)
{
	return num_add(x, (uint32_t)h, e);
}

uint32_t idx32_delete(struct idx32 *x, uint64_t h, const void *k,
		      idx32_eq_fn eq, const void *ctx)
{
	return num_remove(x, (uint32_t)h, k, eq, ctx);
}

void idx32_free(struct idx32 *x)
{
	num_clear(x);
}
