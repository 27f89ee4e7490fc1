/* SPDX-License-Identifier: MIT */
/*
 * Small statistics shared by the report and the kernel tracker.
 */
#ifndef FT_ANALYSIS_STATS_H
#define FT_ANALYSIS_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Nearest-rank percentile p (1..100) of sorted[0..n) (ascending,
 * borrowed): the smallest value with at least p % of the values at or
 * below it. 0 when n is 0.
 */
uint64_t st_percentile(const uint64_t *sorted, size_t n, unsigned p);

#endif /* FT_ANALYSIS_STATS_H */
