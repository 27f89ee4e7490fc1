/* SPDX-License-Identifier: MIT */
/*
 * Reading saved captures through the packet pipeline, on one thread or
 * on several working as a pipeline of stages:
 *
 *   reader   src_next(), pkt_decode(), the flow key and its hash
 *   tracker  the flow table, the teardown machine, TIME_WAIT (the
 *            calling thread)
 *   reporter the report model and its writer, evidence marks, metrics
 *
 * Stages hand each other batches of frames (reader to tracker) and of
 * flow events (tracker to reporter) through bounded queues, in order, so
 * every stage sees exactly the sequence it would see on one thread: the
 * output is the same bytes whatever the number of threads. With two
 * threads the tracker has one of its own and the other both reads and
 * reports, taking whichever work is ready; with three or more, each
 * stage has its own.
 *
 * Streaming evidence (inputs read once, frames buffered) and the
 * evidence pack need every frame's bytes at the tracker, and a watcher
 * of the flow table (pipeline_watch) more of a close-wait change than
 * the reporter's events carry: they read on one thread.
 */
#ifndef FT_ENGINE_STAGES_H
#define FT_ENGINE_STAGES_H

#include <stdint.h>

#include "capture/source.h"
#include "engine/pipeline.h"

struct stages_config {
	unsigned threads; /* 0 or 1: this thread only */
	/*
	 * Called for every frame after the pipeline (may be NULL; then
	 * the read uses one thread); non-zero stops the read with
	 * -ENOMEM.
	 */
	int (*frame)(void *ctx, const struct src_packet *pkt);
	/*
	 * Called now and then with the frames read and the fraction of
	 * the input read (-1 when unknown), and once at the end with
	 * final set (may be NULL).
	 */
	void (*progress)(void *ctx, uint64_t frames, double fraction,
			 int final);
	/*
	 * Called once on the tracker's thread when the inputs have ended
	 * (rc as stages_read() will return it), before the stages stop:
	 * what it has the flow table finalise (pipeline_flush()) is
	 * reported by the reporter stage while it finalises the rest, not
	 * after (may be NULL).
	 */
	void (*end)(void *ctx, int rc);
	void *ctx; /* borrowed, passed to frame, progress and end */
};

/* Threads beyond this many find no stage to run. */
#define STAGES_MAX 3

/*
 * The threads a read uses by default: one per stage when this process
 * may use two cores or more, else one.
 */
unsigned stages_default_threads(void);

/*
 * Feed every frame of src (borrowed) to pl (borrowed) as pipeline_frame()
 * does. Returns 0 at the end of the inputs; -EIO when an input is damaged
 * or -ENOMEM when memory ran out, with the cause in err (FT_ERRBUF_SIZE);
 * the frames before stay counted in pl. On return every stage is done
 * and pl is used by this thread only again, ready for pipeline_finish().
 */
int stages_read(struct pipeline *pl, struct src_reader *src,
		const struct stages_config *c, char *err);

#endif /* FT_ENGINE_STAGES_H */
