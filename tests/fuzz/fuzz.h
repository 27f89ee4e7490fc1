/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz harnesses: the libFuzzer entry point, and FZ_CHECK,
 * an assertion that stays on in release builds (a broken invariant is a
 * finding, like a crash) and names the harness line that failed.
 */
#ifndef FT_TESTS_FUZZ_FUZZ_H
#define FT_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Link types the decode harness picks from with its first byte (input
 * byte % FZ_NDLTS), shared with the seed generator.
 */
static const int fz_dlts[] = {
	1,   /* DLT_EN10MB */
	113, /* DLT_LINUX_SLL */
	276, /* DLT_LINUX_SLL2 */
	12,  /* DLT_RAW (most systems) */
	14,  /* DLT_RAW (OpenBSD) */
	101, /* LINKTYPE_RAW */
	228, /* DLT_IPV4 */
	229, /* DLT_IPV6 */
	0,   /* DLT_NULL */
	108, /* DLT_LOOP */
	105, /* IEEE 802.11: not supported */
};

#define FZ_NDLTS (sizeof(fz_dlts) / sizeof(fz_dlts[0]))

#define FZ_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* FT_TESTS_FUZZ_FUZZ_H */
