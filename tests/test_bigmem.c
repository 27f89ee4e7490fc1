/* SPDX-License-Identifier: MIT */
/*
 * Big tables' memory: zeroed, aligned to 2 MiB, advised for huge pages,
 * returned whole; small arrays from the heap.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analysis/bigmem.h"

/*
 * The VmFlags line of the mapping that holds p in /proc/self/smaps, in
 * flags (n bytes); 0 when found, -1 when no mapping holds p.
 */
static int vm_flags(const void *p, char *flags, size_t n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, n, "%s", line + 8);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

Test(bigmem, big_table_aligned_zeroed_advised_and_unmapped)
{
	size_t bytes = ((size_t)3 << 20) + 5;
	unsigned char *p = bigmem_zalloc(bytes);
	char flags[512];

	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p & (((uintptr_t)2 << 20) - 1), 0,
		     "%p is not on a 2 MiB boundary", (void *)p);
	for (size_t i = 0; i < bytes; i += 4093)
		cr_assert_eq(p[i], 0, "byte %zu is %u", i, p[i]);
	cr_assert_eq(p[bytes - 1], 0);
	memset(p, 0xa5, bytes);
	cr_assert_eq(vm_flags(p, flags, sizeof(flags)), 0);
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
		cr_expect(strstr(flags, " hg") != NULL,
			  "no huge-page advice on the table: VmFlags%s",
			  flags);
	else
		cr_log_warn("this kernel has no transparent huge pages: "
			    "advice not checked");
	bigmem_free(p, bytes);
	cr_assert_eq(vm_flags(p, flags, sizeof(flags)), -1,
		     "the table is still mapped after bigmem_free");
}

Test(bigmem, small_array_zeroed_from_the_heap)
{
	unsigned char *p = bigmem_zalloc(BIGMEM_MIN - 1);

	cr_assert_not_null(p);
	for (size_t i = 0; i < BIGMEM_MIN - 1; i += 4093)
		cr_assert_eq(p[i], 0);
	bigmem_free(p, BIGMEM_MIN - 1);
	cr_assert_not_null(p = bigmem_zalloc(0));
	bigmem_free(p, 0);
	bigmem_free(NULL, (size_t)3 << 20);
}

/* What the churn test adds to the heap's count: mapped, then not. */
Test(bigmem, mapped_bytes_counted)
{
	size_t before = bigmem_mapped(), bytes = (size_t)5 << 20;
	void *small = bigmem_zalloc(4096), *big = bigmem_zalloc(bytes);

	cr_assert_not_null(small);
	cr_assert_not_null(big);
	cr_assert_eq(bigmem_mapped(), before + bytes);
	bigmem_free(big, bytes);
	bigmem_free(small, 4096);
	cr_assert_eq(bigmem_mapped(), before);
}
