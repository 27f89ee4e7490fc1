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

/* The two halves of a 64 x 64-bit product, folded together. */
static inline uint64_t idx_mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t ah = a >> 32, al = (uint32_t)a, bh = b >> 32, bl = (uint32_t)b;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

	return ((ll & 0xffffffffu) | mid << 32) ^
	       (hh + (lh >> 32) + (hl >> 32) + (mid >> 32));
#endif
}

/*
 * Hash of len bytes at key: each 16 bytes, their two words multiplied
 * into one value (wyhash's mix) with constants that change from one
 * block to the next (so that blocks moved around do not hash alike),
 * the products independent of one another so that they overlap instead
 * of each waiting for the last. Inline: with a constant len (a key's
 * sizeof) the loop unrolls.
 */
static inline uint64_t idx_hash(const void *key, size_t len)
{
	const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
		       k2 = 0x8ebc6af09c88c6e3ULL, k3 = 0x589965cc75374cc3ULL;
	const unsigned char *p = key;
	uint64_t h = k0 ^ len, s = k1, w0, w1;

	for (; len >= 16; len -= 16, p += 16, s += k3) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		h ^= idx_mum(w0 ^ s, w1 ^ k2);
	}
	w0 = w1 = 0;
	if (len > 8) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, len - 8);
	} else if (len) {
		memcpy(&w0, p, len);
	}
	h ^= idx_mum(w0 ^ s, w1 ^ k2);
	return idx_mum(h ^ k0, h ^ k3);
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

/* Number of entries. */
static inline size_t idx_count(const struct idx *x)
{
	return x->n;
}

/* Free the slot arrays (not the entries); the index is empty again. */
void idx_free(struct idx *x);

/*
 * The same index over 32-bit entry numbers (0 is never an entry, nor
 * UINT32_MAX) with the low 32 bits of the hash: 8-byte slots, for a
 * caller that keeps its entries in numbered records (the flow table).
 * eq compares entry number e with key k, given the caller's ctx.
 */
struct idx32_slot {
	uint32_t h;
	uint32_t e;            /* 0: empty; IDX32_GONE: moved or deleted */
};

struct idx32 {
	struct idx32_slot *cur;
	size_t cur_mask;
	size_t n;
	struct idx32_slot *old;
	size_t old_mask;
	size_t old_pos;
};

typedef int (*idx32_eq_fn)(const void *ctx, uint32_t e, const void *k);

/* The entry with hash h and key k, or 0. */
uint32_t idx32_find(const struct idx32 *x, uint64_t h, const void *k,
		    idx32_eq_fn eq, const void *ctx);

/* Add entry e under hash h. Returns 0 or -ENOMEM (index unchanged). */
int idx32_insert(struct idx32 *x, uint64_t h, uint32_t e);

/* Remove the entry with hash h and key k; returns it, or 0. */
uint32_t idx32_delete(struct idx32 *x, uint64_t h, const void *k,
		      idx32_eq_fn eq, const void *ctx);

/* Free the slot arrays; the index is empty again. */
void idx32_free(struct idx32 *x);

#define IDX32_GONE UINT32_MAX

/* 1 when slot entry e names an entry (not empty, not moved). */
static inline int idx32_live(uint32_t e)
{
	return e && e != IDX32_GONE;
}

/*
 * The slot a lookup of hash h reads first, or NULL when the index is
 * empty: for a caller that prefetches it, then what it names.
 */
static inline const struct idx32_slot *idx32_home(const struct idx32 *x,
						  uint64_t h)
{
	return x->cur ? &x->cur[(uint32_t)h & x->cur_mask] : NULL;
}

#endif /* FT_ANALYSIS_INDEX_H */
