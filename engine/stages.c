/* SPDX-License-Identifier: MIT */
/*
 * Reading through the pipeline on several threads; see stages.h.
 *
 * Each hand-over is a pair of queues of batches: full ones go forward,
 * empty ones come back, so memory is a fixed pool and a fast stage waits
 * for a slow one instead of running ahead. A batch is a few hundred
 * frames or events: one lock round trip per batch, not per frame.
 */
#include "engine/stages.h"

#include "engine/batchq.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAMES_PER_BATCH 512
#define EVENTS_PER_BATCH 128
/*
 * Batches per hand-over: deep enough that a stage seldom finds its
 * queue empty or full and sleeps (a futex wait and a wake-up, costly on
 * a virtual machine). With 8, a 10M-packet read slept 11 k times and
 * took 1.1 to 1.25 times as long as with 32 (4.4 k sleeps); 64 adds
 * little more and 3 MiB to the peak. The pool is about 3.1 MiB (frames
 * of 104 bytes, events of 376).
 */
#define BATCHES 32
/* Frames of a batch looked ahead of to prefetch their index slots. */
#define PREFETCH_AHEAD 8

/*
 * Reader to tracker: decoded frames. The segment's addresses, ports and
 * tunnel travel once, in the key (flow_seg_from_key() rebuilds them):
 * every line of a batch is written on the reader's core and read on the
 * tracker's, and a whole segment beside its key took 160 bytes a frame.
 */
struct frame_item {
	struct flow_key key;    /* when st is PKT_OK, as the rest below */
	uint64_t hash;
	uint64_t wall_ns, frame; /* always set */
	uint32_t seq, ack, payload_len;
	uint16_t window;
	uint8_t flags, snapped;
	uint8_t from;           /* flow_key_from_seg()'s */
	uint8_t st;             /* enum pkt_status */
	int dlt;
};

struct frame_batch {
	unsigned n;
	int last;            /* the reader's final batch */
	int rc;              /* with last: src_next()'s end, 0 or -EIO */
	char err[FT_ERRBUF_SIZE];
	struct frame_item it[FRAMES_PER_BATCH];
};

/*
 * Tracker to reporter: what the flow table's hooks were called with. A
 * close-wait change carries only the key and the two roles the report
 * counts it by (rpt_close_wait: the passive side's row), not the whole
 * flow: written on the tracker's core and read on the other, every
 * line of an event costs both, and a flow has two such changes.
 */
enum event_kind { EV_DONE, EV_CLOSE_WAIT, EV_ORIGIN };

struct event {
	uint8_t kind;
	int8_t delta;
	int8_t client, active; /* EV_CLOSE_WAIT: td's */
	enum flow_end end;
	uint64_t id;
	uint64_t now_ns;
	struct flow_key key;
	struct td_result res;  /* EV_DONE */
	struct td_flow td;     /* EV_DONE */
};

struct event_batch {
	unsigned n;
	int last;
	struct event it[EVENTS_PER_BATCH];
};

struct stages {
	struct pipeline *pl;
	struct src_reader *src;
	/* reader */
	pthread_t reader;
	struct bq frames_full, frames_free;
	atomic_int stop;              /* the tracker gave up */
	_Atomic uint64_t progress;    /* fraction read, in 1e-6, +1 */
	/* reporter: its own thread, or the reader's (combined) */
	pthread_t reporter;
	int has_reporter;
	int combined;                 /* the reader reports too */
	/* under the frames' lock when combined */
	struct bq events_full, events_free;
	struct event_batch *events;   /* being filled by the tracker */
};

unsigned stages_default_threads(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	/*
	 * One thread per core: on two, the reader and the reporter
	 * together weigh about what the tracker does, and three threads
	 * would take turns on the tracker's core.
	 */
	if (n < 2)
		return 1;
	return n < STAGES_MAX ? (unsigned)n : STAGES_MAX;
}

/* A decoded segment into frame f (wall_ns, frame and st set apart). */
static void frame_pack(struct frame_item *f, const struct flow_seg *seg)
{
	f->from = (uint8_t)flow_key_from_seg(seg, &f->key);
	f->hash = flow_key_hash(&f->key);
	f->seq = seg->seq;
	f->ack = seg->ack;
	f->payload_len = seg->payload_len;
	f->window = seg->window;
	f->flags = seg->flags;
	f->snapped = seg->snapped;
}

/* The segment frame f was packed from (only its times unless decoded). */
static void frame_unpack(const struct frame_item *f, struct flow_seg *seg)
{
	seg->wall_ns = f->wall_ns;
	seg->frame = f->frame;
	if (f->st != PKT_OK)
		return;
	flow_seg_from_key(&f->key, f->from, seg);
	seg->seq = f->seq;
	seg->ack = f->ack;
	seg->payload_len = f->payload_len;
	seg->window = f->window;
	seg->flags = f->flags;
	seg->snapped = f->snapped;
}

/*
 * Fill batch b (taken from frames_free) and hand it to the tracker.
 * Returns 1 to go on, 0 once the last batch went (end, damage, or the
 * tracker gave up).
 */
static int read_batch(struct stages *s, struct frame_batch *b)
{
	struct src_reader *src = s->src;
	struct src_packet pkt;
	int rc = 0, last;
	unsigned n = 0;
	double frac;

	b->err[0] = '\0';
	while (n < FRAMES_PER_BATCH &&
	       (rc = src_next(src, &pkt, b->err)) == 1) {
		struct frame_item *f = &b->it[n++];
		struct flow_seg seg;

		f->st = (uint8_t)pkt_decode(pkt.dlt, pkt.data, pkt.caplen,
					    pkt.wirelen, &seg);
		f->wall_ns = pkt.wall_ns;
		f->frame = pkt.frame;
		f->dlt = pkt.dlt;
		if (f->st == PKT_OK)
			frame_pack(f, &seg);
	}
	b->n = n;
	frac = src_progress(src);
	atomic_store_explicit(&s->progress,
			      frac < 0 ? 0 : (uint64_t)(frac * 1e6) + 1,
			      memory_order_relaxed);
	last = rc != 1 || atomic_load(&s->stop);
	b->last = last;
	b->rc = rc == 1 ? 0 : rc;
	bq_push(&s->frames_full, b); /* the tracker's from here */
	return !last;
}

static int report_batch(struct stages *s, struct event_batch *b);

/*
 * The reader, and when combined the reporter too: whichever has work,
 * events first, so that the tracker never waits for a free event batch
 * while this thread could have emptied one.
 */
static void *reader_main(void *arg)
{
	struct stages *s = arg;
	int reading = 1, reporting = s->combined;

	pthread_setname_np(pthread_self(), "fintrace-read");
	while (reading || reporting) {
		struct bq *from;
		void *b = bq_pop_either(&s->events_full, reporting,
					&s->frames_free, reading, &from);
		int events = from == &s->events_full;

		if (events)
			reporting = !report_batch(s, b);
		else
			reading = read_batch(s, b);
	}
	return NULL;
}

/* The tracker's end of the reporter hand-over. */
static struct event *event_slot(struct stages *s)
{
	if (!s->events) {
		s->events = bq_pop(&s->events_free);
		s->events->n = 0;
		s->events->last = 0;
	}
	return &s->events->it[s->events->n];
}

/* Hand the reporter the events not handed over yet, marked as the last. */
static void events_end(struct stages *s)
{
	struct event_batch *b = s->events;

	if (!b) {
		b = bq_pop(&s->events_free);
		b->n = 0;
	}
	b->last = 1;
	s->events = NULL;
	bq_push(&s->events_full, b);
}

static void event_commit(struct stages *s)
{
	if (++s->events->n == EVENTS_PER_BATCH) {
		bq_push(&s->events_full, s->events);
		s->events = NULL;
	}
}

static void defer_done(void *ctx, const struct flow_record *rec)
{
	struct stages *s = ctx;
	struct event *e = event_slot(s);

	e->kind = EV_DONE;
	e->key = *rec->key;
	e->td = *rec->td;
	e->res = rec->res;
	e->id = rec->id;
	e->end = rec->end;
	event_commit(s);
}

static void defer_close_wait(void *ctx, const struct flow_key *key,
			     const struct td_flow *td, int delta,
			     uint64_t now_ns)
{
	struct stages *s = ctx;
	struct event *e = event_slot(s);

	e->kind = EV_CLOSE_WAIT;
	e->key = *key;
	e->client = td->client;
	e->active = td->active;
	e->delta = (int8_t)delta;
	e->now_ns = now_ns;
	event_commit(s);
}

static void defer_origin(void *ctx, uint64_t wall_ns)
{
	struct stages *s = ctx;
	struct event *e = event_slot(s);

	e->kind = EV_ORIGIN;
	e->now_ns = wall_ns;
	event_commit(s);
}

/* Report the events of b and hand it back; returns 1 after the last. */
static int report_batch(struct stages *s, struct event_batch *b)
{
	int last = b->last;
	/* a close-wait change's flow: its roles, all else zero, set once */
	struct td_flow cw = {0};

	for (unsigned i = 0; i < b->n; i++) {
		const struct event *e = &b->it[i];
		struct flow_record rec;

		switch (e->kind) {
		case EV_DONE:
			rec = (struct flow_record){
				.key = &e->key,
				.td = &e->td,
				.res = e->res,
				.id = e->id,
				.end = e->end,
			};
			pipeline_report_done(s->pl, &rec);
			break;
		case EV_CLOSE_WAIT:
			cw.client = e->client;
			cw.active = e->active;
			pipeline_report_close_wait(s->pl, &e->key, &cw,
						   e->delta, e->now_ns);
			break;
		default:
			pipeline_report_origin(s->pl, e->now_ns);
			break;
		}
	}
	bq_push(&s->events_free, b);
	return last;
}

static void *reporter_main(void *arg)
{
	struct stages *s = arg;

	pthread_setname_np(pthread_self(), "fintrace-report");
	while (!report_batch(s, bq_pop(&s->events_full)))
		;
	return NULL;
}

/* Everything on this thread, frame by frame. */
static int read_inline(struct pipeline *pl, struct src_reader *src,
		       const struct stages_config *c, char *err)
{
	struct src_packet pkt;
	int rc;

	while ((rc = src_next(src, &pkt, err)) == 1) {
		if (pipeline_frame(pl, pkt.data, pkt.caplen, pkt.wirelen,
				   pkt.wall_ns, pkt.frame, pkt.dlt) ||
		    (c->frame && c->frame(c->ctx, &pkt))) {
			rc = -ENOMEM;
			break;
		}
		if (c->progress && !(pl->frames & 0xffff))
			c->progress(c->ctx, pl->frames, src_progress(src), 0);
	}
	if (c->progress)
		c->progress(c->ctx, pl->frames, src_progress(src), 1);
	if (c->end)
		c->end(c->ctx, rc);
	return rc;
}

static void *alloc_batches(struct bq *q, size_t size)
{
	char *pool = calloc(BATCHES, size);

	if (!pool)
		return NULL;
	for (size_t i = 0; i < BATCHES; i++)
		bq_push(q, pool + i * size);
	return pool;
}

/* The tracker's loop over the reader's batches; returns like src_next. */
static int track(struct stages *s, const struct stages_config *c, char *err)
{
	struct pipeline *pl = s->pl;
	int rc = 0, failed = 0;
	uint64_t shown = 0;

	for (;;) {
		struct frame_batch *b = bq_pop(&s->frames_full);
		unsigned n = failed ? 0 : b->n;

		for (unsigned i = 0; i < n; i++) {
			const struct frame_item *f = &b->it[i];
			struct flow_seg seg;

			if (i + PREFETCH_AHEAD < n &&
			    b->it[i + PREFETCH_AHEAD].st == PKT_OK) {
				const struct frame_item *a =
					&b->it[i + PREFETCH_AHEAD];

				flow_table_prefetch(pl->flows, a->hash, 0);
				tw_prefetch(pl->tw, a->flags, a->hash);
			}
			if (i + PREFETCH_AHEAD / 2 < n &&
			    b->it[i + PREFETCH_AHEAD / 2].st == PKT_OK)
				flow_table_prefetch(
					pl->flows,
					b->it[i + PREFETCH_AHEAD / 2].hash, 1);
			frame_unpack(f, &seg);
			if (pipeline_decoded(pl, (enum pkt_status)f->st, &seg,
					     &f->key, f->hash, f->dlt)) {
				failed = 1;
				atomic_store(&s->stop, 1);
				break;
			}
		}
		if (b->last) {
			rc = b->rc;
			if (rc < 0)
				memcpy(err, b->err, FT_ERRBUF_SIZE);
			bq_push(&s->frames_free, b);
			break;
		}
		bq_push(&s->frames_free, b);
		if (c->progress && pl->frames - shown >= 0x10000) {
			uint64_t p = atomic_load_explicit(
				&s->progress, memory_order_relaxed);

			shown = pl->frames;
			c->progress(c->ctx, pl->frames,
				    p ? (double)(p - 1) / 1e6 : -1, 0);
		}
	}
	if (c->progress) {
		uint64_t p = atomic_load(&s->progress);

		c->progress(c->ctx, pl->frames, p ? (double)(p - 1) / 1e6 : -1,
			    1);
	}
	return failed ? -ENOMEM : rc;
}

int stages_read(struct pipeline *pl, struct src_reader *src,
		const struct stages_config *c, char *err)
{
	struct pipeline_defer defer = {
		.done = defer_done,
		.close_wait = defer_close_wait,
		.origin = defer_origin,
	};
	struct stages s;
	void *frames = NULL, *events = NULL;
	int rc;

	/* A watcher (live's alerts) reads more of a close-wait change than
	 * an event carries: it gets the flow on one thread. */
	if (c->threads < 2 || c->frame || (pl->ev && pl->ev_streaming) ||
	    pl->watch.close_wait)
		return read_inline(pl, src, c, err);
	memset(&s, 0, sizeof(s));
	s.pl = pl;
	s.src = src;
	/*
	 * Two threads: the reader reports too, so the tracker has a core of
	 * its own; three: each stage has its thread.
	 */
	s.combined = c->threads == 2;
	bq_init(&s.frames_full);
	bq_init(&s.frames_free);
	if (s.combined) {
		/* one thread waits for events or free frame batches */
		bq_init_shared(&s.frames_free, &s.frames_full);
		bq_init_shared(&s.events_full, &s.frames_full);
		bq_init_shared(&s.events_free, &s.frames_full);
	} else {
		bq_init(&s.events_full);
		bq_init(&s.events_free);
	}
	frames = alloc_batches(&s.frames_free, sizeof(struct frame_batch));
	events = alloc_batches(&s.events_free, sizeof(struct event_batch));
	if (!frames || !events) {
		/* No memory for the batches: one thread needs none. */
		rc = read_inline(pl, src, c, err);
		goto out;
	}
	if (!s.combined) {
		if (pthread_create(&s.reporter, NULL, reporter_main, &s)) {
			rc = read_inline(pl, src, c, err);
			goto out;
		}
		s.has_reporter = 1;
	}
	if (pthread_create(&s.reader, NULL, reader_main, &s)) {
		if (s.has_reporter) {
			events_end(&s);
			pthread_join(s.reporter, NULL);
		}
		rc = read_inline(pl, src, c, err);
		goto out;
	}
	defer.ctx = &s;
	pipeline_defer(pl, &defer);
	rc = track(&s, c, err);
	if (c->end)
		c->end(c->ctx, rc);
	events_end(&s);
	pthread_join(s.reader, NULL);
	if (s.has_reporter)
		pthread_join(s.reporter, NULL);
	pipeline_defer(pl, NULL);
out:
	free(frames);
	free(events);
	bq_destroy(&s.events_free);
	bq_destroy(&s.events_full);
	bq_destroy(&s.frames_free);
	bq_destroy(&s.frames_full);
	return rc;
}
