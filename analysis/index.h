/* SPDX-License-Identifier: MIT */
/*
 * A hash index from keys to caller-owned entries: open addressing with
 * linear probing over (64-bit hash, entry pointer) slots, at most half
 * full. A lookup walks one run of contiguous slots and touches only the
 * entries whose full hash matches, so it costs one or two cache misses
 * where a chained table (uthash) costs one per chain link. Growth does not
 * stall: a new array of twice the size takes the inserts while the old
 * one is drained a few slots per insert; lookups and deletes look in both.
 *
 * The index never owns the entries: the caller allocates and frees them
 * and tells the index how to compare an entry with a key (eq). Zeroed
 * memory is an empty index.
 */
#ifndef FT_ANALYSIS_INDEX_H
#define FT_ANALYSIS_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct idx_slot {
	uint64_t h;
	void *e;               /* NULL: empty; IDX_GONE: moved or deleted */
};

struct idx {
	struct idx_slot *cur;
	size_t cur_mask;
	size_t n;              /* entries in both arrays */
	struct idx_slot *old;  /* being drained, or NULL */
	size_t old_mask;
	size_t old_pos;        /* next old slot to move */
};

/* 1 when entry e has key k. */
typedef int (*idx_eq_fn)(const void *e, const void *k);

/*
 * Hash of len bytes at key (a multiply-xorshift mix over 64-bit words).
 * Inline: with a constant len (a key's sizeof) the loop unrolls.
 */
static inline uint64_t idx_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;

	for (size_t i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, p + i, len - i < 8 ? len - i : 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/* The entry with hash h and key k, or NULL. */
void *idx_find(const struct idx *x, uint64_t h, const void *k, idx_eq_fn eq);

/*
 * Add entry e (borrowed; not already in the index) under hash h. Returns
 * 0 or -ENOMEM (then the index is unchanged).
 */
int idx_insert(struct idx *x, uint64_t h, void *e);

/* Remove the entry with hash h and key k; returns it, or NULL. */
void *idx_delete(struct idx *x, uint64_t h, const void *k, idx_eq_fn eq);

/* Start loading the slots a lookup of hash h reads first (a hint). */
static inline void idx_prefetch(const struct idx *x, uint64_t h)
{
	if (x->cur)
		__builtin_prefetch(&x->cur[h & x->cur_mask]);
}

/*
 * The second step, once the slot is loaded: start loading the first
 * `lines` cache lines of the entry in the home slot of hash h when its
 * hash matches. A hint only.
 */
static inline void idx_prefetch_entry(const struct idx *x, uint64_t h,
				      unsigned lines)
{
	const struct idx_slot *s;

	if (!x->cur)
		return;
	s = &x->cur[h & x->cur_mask];
	if (s->h == h)
		for (unsigned i = 0; i < lines; i++)
			__builtin_prefetch((const char *)s->e + 64 * i);
}

/* Number of entries. */
static inline size_t idx_count(const struct idx *x)
{
	return x->n;
}

/* Free the slot arrays (not the entries); the index is empty again. */
void idx_free(struct idx *x);

#endif /* FT_ANALYSIS_INDEX_H */
