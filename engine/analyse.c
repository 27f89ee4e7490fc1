/* SPDX-License-Identifier: MIT */
/*
 * Captures to a JSON Lines report; see analyse.h.
 */
#include "engine/analyse.h"

#include <errno.h>
#include <stdio.h>

#include "capture/source.h"

int analyse_files(const char *const *paths, size_t n, const char *filter,
		  const struct pipeline_config *c, uint64_t end_wall_ns,
		  FILE *out, char *err)
{
	struct pipeline_config jc = *c;
	struct pipeline pl = {0};
	struct src_reader *src;
	struct src_packet pkt;
	int rc;

	src = src_open_files(paths, n, filter, err);
	if (!src)
		return -errno;
	jc.format = RPT_JSON;
	if (pipeline_init(&pl, &jc, out, "read")) {
		src_free(src);
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		return -ENOMEM;
	}
	while ((rc = src_next(src, &pkt, err)) == 1)
		if (pipeline_frame(&pl, pkt.data, pkt.caplen, pkt.wirelen,
				   pkt.wall_ns, pkt.frame, pkt.dlt)) {
			snprintf(err, FT_ERRBUF_SIZE,
				 "out of memory (try --max-flows)");
			rc = -ENOMEM;
			break;
		}
	pl.filtered = src_get_stats(src)->filtered;
	if (end_wall_ns > pl.last_ns)
		pl.last_ns = end_wall_ns;
	if (!rc && pipeline_finish(&pl, paths, n, NULL)) {
		snprintf(err, FT_ERRBUF_SIZE, "cannot write the report");
		rc = -EIO;
	}
	pipeline_free(&pl);
	src_free(src);
	return rc;
}
