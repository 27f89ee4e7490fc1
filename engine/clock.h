/* SPDX-License-Identifier: MIT */
/*
 * The time of a clock in nanoseconds: CLOCK_REALTIME for wall times
 * (ns since the Unix epoch, as packets are stamped), CLOCK_MONOTONIC for
 * deadlines and intervals that must not jump when the wall clock is set.
 */
#ifndef FT_ENGINE_CLOCK_H
#define FT_ENGINE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* FT_ENGINE_CLOCK_H */
