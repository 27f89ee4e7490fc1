/* SPDX-License-Identifier: MIT */
/*
 * One analysis of saved captures into a JSON Lines report, for commands
 * that read fintrace's report back rather than show it: fintrace compare
 * (a capture given as BEFORE or AFTER) and the evidence pack (its README
 * is written from the evidence file's own analysis, so that its frame
 * numbers and filters are those of that file).
 */
#ifndef FT_ENGINE_ANALYSE_H
#define FT_ENGINE_ANALYSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/pipeline.h"

/*
 * Analyse paths[0..n) (borrowed; merged in time order) with filter (NULL
 * for none) and the configuration c (its format is ignored: JSON Lines),
 * writing the report to out (borrowed). end_wall_ns, when later than the
 * last packet, is taken as the end of the observation (what fintrace read
 * --capture-end does). Returns 0, or -errno with one line naming the file
 * in err (FT_ERRBUF_SIZE).
 */
int analyse_files(const char *const *paths, size_t n, const char *filter,
		  const struct pipeline_config *c, uint64_t end_wall_ns,
		  FILE *out, char *err);

#endif /* FT_ENGINE_ANALYSE_H */
