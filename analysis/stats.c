// SPDX-License-Identifier: MIT
/*
 * Small statistics; see stats.h.
 */
#include "analysis/stats.h"

uint64_t st_percentile(const uint64_t *sorted, size_t n, unsigned p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (n * p + 99) / 100;
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}
