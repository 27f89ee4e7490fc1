/* SPDX-License-Identifier: MIT */
/*
 * Zeroed memory for the big tables; see bigmem.h.
 */
#include "analysis/bigmem.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The huge page size of x86-64 and of arm64 with 4 KiB pages. */
#define BIGMEM_ALIGN ((size_t)2 << 20)

static _Atomic size_t mapped;

/* A mapping's length: bytes rounded up to whole pages (0: too big). */
static size_t map_len(size_t bytes)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t mask = (size_t)(pg > 0 ? pg : 4096) - 1;

	return bytes + mask < bytes ? 0 : (bytes + mask) & ~mask;
}

void *bigmem_zalloc(size_t bytes)
{
	size_t len, over;
	uintptr_t a, at;
	char *m;

	if (bytes < BIGMEM_MIN)
		return calloc(1, bytes ? bytes : 1);
	len = map_len(bytes);
	if (!len || len + BIGMEM_ALIGN < len) {
		errno = ENOMEM;
		return NULL;
	}
	/* Map an alignment's more, then unmap what lies outside. */
	over = len + BIGMEM_ALIGN;
	m = mmap(NULL, over, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	a = (uintptr_t)m;
	at = (a + BIGMEM_ALIGN - 1) & ~(uintptr_t)(BIGMEM_ALIGN - 1);
	if (at > a)
		munmap(m, at - a);
	if (a + over > at + len)
		munmap((void *)(at + len), a + over - (at + len));
#ifdef MADV_HUGEPAGE
	/* advice only: without huge pages the table works the same */
	(void)madvise((void *)at, len, MADV_HUGEPAGE);
#endif
	atomic_fetch_add_explicit(&mapped, len, memory_order_relaxed);
	return (void *)at;
}

void bigmem_free(void *p, size_t bytes)
{
	size_t len;

	if (!p)
		return;
	if (bytes < BIGMEM_MIN) {
		free(p);
		return;
	}
	len = map_len(bytes);
	munmap(p, len);
	atomic_fetch_sub_explicit(&mapped, len, memory_order_relaxed);
}

size_t bigmem_mapped(void)
{
	return atomic_load_explicit(&mapped, memory_order_relaxed);
}
