/* SPDX-License-Identifier: MIT */
/*
 * Zeroed memory for the big tables (the hash indexes' slot arrays, the
 * TIME_WAIT reuse table, the flow slabs). From BIGMEM_MIN bytes up, an
 * array is a mapping of its own, aligned to 2 MiB and marked for
 * transparent huge pages (madvise; a kernel that declines keeps small
 * pages): a table filled at random then takes one page fault and one TLB
 * entry per 2 MiB instead of 512 of each. Smaller arrays come from
 * calloc. The caller hands the size back when it frees.
 */
#ifndef FT_ANALYSIS_BIGMEM_H
#define FT_ANALYSIS_BIGMEM_H

#include <stddef.h>

#define BIGMEM_MIN ((size_t)2 << 20)

/* bytes of zeroed memory, or NULL (errno set). */
void *bigmem_zalloc(size_t bytes);

/* Free p, which bigmem_zalloc(bytes) returned (NULL: nothing). */
void bigmem_free(void *p, size_t bytes);

/*
 * Bytes in the mappings bigmem_zalloc() made and bigmem_free() has not
 * unmapped yet (all threads): what a count of the heap in use misses.
 */
size_t bigmem_mapped(void);

#endif /* FT_ANALYSIS_BIGMEM_H */
