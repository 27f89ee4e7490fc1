/* SPDX-License-Identifier: MIT */
/*
 * The capture thread of fintrace live; see livecap.h.
 *
 * The capture thread fills one batch at a time. It hands a batch over
 * when it is full, and also when the tracker has nothing queued (it is
 * idle: a packet should not wait for more to come); otherwise it keeps
 * filling, so a busy tracker gets full batches. Counters are published
 * each time round the loop, with the time they were read: drops are
 * placed in time by when the capture thread saw them, not by when the
 * tracker (maybe stopped, maybe behind) reads them.
 */
#include "engine/livecap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/batchq.h"
#include "engine/clock.h"

#define NS ((uint64_t)1000000000)
#define WAIT_MS 100	  /* the longest wait without a look around */
#define DISPATCH_MAX 4096 /* packets per read */
#define DRAIN_WAIT_MS 250 /* > the buffer timeout */
#define DRAIN_MAX_NS (2 * NS)
#define DRAIN_ROUNDS 100000
#define BATCH_BYTES_MAX (1u << 20)
#define BATCHES_MIN 8

struct lcap_item {
	uint64_t wall_ns;
	uint64_t frame;
	uint32_t caplen;
	uint32_t wirelen;
	size_t off; /* in data */
};

struct lcap_batch {
	unsigned n;
	size_t used;
	struct lcap_item it[LCAP_FRAMES_PER_BATCH];
	uint8_t data[]; /* lcap.data_bytes */
};

struct lcap {
	struct lcap_config c;
	pthread_t thread;
	int started;
	struct bq full, free;
	char *pool;
	size_t batch_size, data_bytes;
	/* requests to the capture thread */
	atomic_int stop, abort, flush;
	/* published by the capture thread, read together */
	pthread_mutex_t st_mu;
	struct lcap_stats st;
	/* the capture thread's own until it ends, then the caller's */
	struct lcap_batch *cur;
	uint64_t n_taken, n_queue_drops, first_drop_ns;
	uint64_t stop_ns;
	int past_stop, count_done, rc;
	char err[FT_ERRBUF_SIZE];
};

static void publish(struct lcap *q)
{
	struct live_stats st;
	char err[FT_ERRBUF_SIZE];

	/* On failure st holds the last known values: keep showing them. */
	live_get_stats(q->c.cap, &st, err);
	pthread_mutex_lock(&q->st_mu);
	q->st.wall_ns = clock_ns(CLOCK_REALTIME);
	q->st.received = st.received;
	q->st.kernel_drops = st.kernel_drops;
	q->st.if_drops = st.if_drops;
	q->st.taken = q->n_taken;
	q->st.queue_drops = q->n_queue_drops;
	q->st.queue_drop_first_ns = q->first_drop_ns;
	pthread_mutex_unlock(&q->st_mu);
}

static void hand_over(struct lcap *q)
{
	if (q->cur && q->cur->n)
		bq_push(&q->full, q->cur);
	else if (q->cur)
		bq_push(&q->free, q->cur);
	q->cur = NULL;
}

static unsigned on_packet(void *arg, const struct live_packet *p)
{
	struct lcap *q = arg;
	struct lcap_batch *b = q->cur;
	uint32_t caplen = p->caplen;

	if (q->stop_ns && p->wall_ns > q->stop_ns) {
		q->past_stop = 1;
		return LIVE_SKIP | LIVE_STOP;
	}
	q->n_taken++;
	/* libpcap keeps caplen within the snap length; be sure of it. */
	if (caplen > q->data_bytes)
		caplen = (uint32_t)q->data_bytes;
	if (b && (b->n == LCAP_FRAMES_PER_BATCH ||
		  b->used + caplen > q->data_bytes)) {
		bq_push(&q->full, b);
		b = q->cur = NULL;
	}
	if (!b) {
		b = q->cur = bq_trypop(&q->free);
		if (b) {
			b->n = 0;
			b->used = 0;
		}
	}
	if (b) {
		struct lcap_item *it = &b->it[b->n++];

		it->wall_ns = p->wall_ns;
		it->frame = q->n_taken;
		it->caplen = caplen;
		it->wirelen = p->wirelen;
		it->off = b->used;
		memcpy(b->data + b->used, p->data, caplen);
		b->used += caplen;
	} else {
		/* The tracker is behind and the pool is full: never wait
		 * for it, or the kernel would drop instead, uncounted by
		 * flow. The -w file still gets the packet. */
		if (!q->n_queue_drops++)
			q->first_drop_ns = p->wall_ns;
	}
	if (q->c.count && q->n_taken >= q->c.count) {
		q->count_done = 1;
		return LIVE_STOP;
	}
	return 0;
}

/*
 * Read what the kernel captured before the stop: until nothing more
 * comes within one buffer timeout, a packet stamped after the stop shows
 * up, or the bounds are hit. Returns 0 or -errno with q->err set.
 */
static int drain(struct lcap *q)
{
	uint64_t until = clock_ns(CLOCK_MONOTONIC) + DRAIN_MAX_NS;

	for (int round = 0; round < DRAIN_ROUNDS; round++) {
		int n = live_dispatch(q->c.cap, DISPATCH_MAX, on_packet, q,
				      q->err);

		if (n < 0)
			return n;
		if (q->past_stop || q->count_done || atomic_load(&q->abort) ||
		    clock_ns(CLOCK_MONOTONIC) >= until)
			break;
		if (!n) {
			/* -EINTR: the wake-up of the stop itself, or of a
			 * flush request; wait again. */
			int w = live_wait(q->c.cap, DRAIN_WAIT_MS);

			if (!w || (w < 0 && w != -EINTR))
				break;
		}
	}
	return 0;
}

/* A -w flush the tracker asked for; returns 0 or -errno, q->err set. */
static int flush_if_asked(struct lcap *q)
{
	if (!atomic_exchange(&q->flush, 0))
		return 0;
	return live_write_flush(q->c.cap, q->err);
}

static int capture(struct lcap *q)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	uint64_t deadline = q->c.duration_ns ? t0 + q->c.duration_ns : 0;
	int rc;

	for (;;) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		uint64_t wait_ns = (uint64_t)WAIT_MS * 1000000;
		int n;

		if (atomic_load(&q->stop) || atomic_load(&q->abort) ||
		    (deadline && now >= deadline))
			break;
		rc = flush_if_asked(q);
		if (rc)
			return rc;
		publish(q);
		if (deadline && deadline - now < wait_ns)
			wait_ns = deadline - now;
		rc = live_wait(q->c.cap,
			       (unsigned)((wait_ns + 999999) / 1000000));
		if (rc < 0 && rc != -EINTR) {
			snprintf(q->err, sizeof(q->err), "%s: poll: %s",
				 live_iface(q->c.cap), strerror(-rc));
			return rc;
		}
		n = live_dispatch(q->c.cap, DISPATCH_MAX, on_packet, q, q->err);
		if (n < 0)
			return n;
		/* An idle tracker gets what there is now. */
		if (q->cur && q->cur->n && !bq_count(&q->full))
			hand_over(q);
		if (q->count_done)
			return 0;
	}
	q->stop_ns = clock_ns(CLOCK_REALTIME);
	if (atomic_load(&q->abort))
		return 0;
	rc = drain(q);
	if (!rc)
		rc = flush_if_asked(q);
	return rc;
}

static void *capture_main(void *arg)
{
	struct lcap *q = arg;

	pthread_setname_np(pthread_self(), "fintrace-cap");
	q->rc = capture(q);
	if (!q->stop_ns)
		q->stop_ns = clock_ns(CLOCK_REALTIME);
	hand_over(q);
	publish(q);
	bq_close(&q->full);
	return NULL;
}

struct lcap *lcap_start(const struct lcap_config *c, char *err)
{
	struct lcap *q = calloc(1, sizeof(*q));
	sigset_t all, old;
	size_t nb;
	int rc;

	if (!q) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	q->c = *c;
	/* Room for a batch of frames of the snap length, within bounds,
	 * and for one packet at least. */
	q->data_bytes = (size_t)LCAP_FRAMES_PER_BATCH * c->snaplen;
	if (q->data_bytes > BATCH_BYTES_MAX)
		q->data_bytes = BATCH_BYTES_MAX;
	if (q->data_bytes < c->snaplen)
		q->data_bytes = c->snaplen;
	if (!q->data_bytes)
		q->data_bytes = 1;
	nb = LCAP_BYTES / q->data_bytes;
	nb = nb < BATCHES_MIN ? BATCHES_MIN : nb > BQ_MAX ? BQ_MAX : nb;
	q->batch_size = sizeof(struct lcap_batch) + q->data_bytes;
	/* Keep each batch's counters aligned for the next. */
	q->batch_size = (q->batch_size + 63) & ~(size_t)63;
	bq_init(&q->full);
	bq_init(&q->free);
	pthread_mutex_init(&q->st_mu, NULL);
	q->pool = calloc(nb, q->batch_size);
	if (!q->pool) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "out of memory for the capture queue (%zu bytes)",
			 nb * q->batch_size);
		lcap_free(q);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < nb; i++)
		bq_push(&q->free, q->pool + i * q->batch_size);
	/* Signals are the main thread's: a write to the -w file must not
	 * fail with EINTR because Ctrl-C landed here. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&q->thread, NULL, capture_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "cannot start the capture thread: %s", strerror(rc));
		lcap_free(q);
		errno = rc;
		return NULL;
	}
	q->started = 1;
	return q;
}

struct lcap_batch *lcap_next(struct lcap *q, uint64_t mono_ns)
{
	return bq_pop_until(&q->full, mono_ns);
}

unsigned lcap_batch_len(const struct lcap_batch *b)
{
	return b->n;
}

void lcap_batch_frame(const struct lcap_batch *b, unsigned i,
		      struct lcap_frame *f)
{
	const struct lcap_item *it = &b->it[i];

	f->data = b->data + it->off;
	f->caplen = it->caplen;
	f->wirelen = it->wirelen;
	f->wall_ns = it->wall_ns;
	f->frame = it->frame;
}

void lcap_release(struct lcap *q, struct lcap_batch *b)
{
	bq_push(&q->free, b);
}

int lcap_done(struct lcap *q)
{
	return bq_done(&q->full);
}

void lcap_stats(struct lcap *q, struct lcap_stats *st)
{
	pthread_mutex_lock(&q->st_mu);
	*st = q->st;
	pthread_mutex_unlock(&q->st_mu);
}

void lcap_flush(struct lcap *q)
{
	atomic_store(&q->flush, 1);
}

void lcap_stop(struct lcap *q)
{
	if (!q)
		return;
	/* Lock-free atomics and live_breakloop() are async-signal-safe. */
	atomic_store(&q->stop, 1);
	live_breakloop(q->c.cap);
}

void lcap_abort(struct lcap *q)
{
	atomic_store(&q->abort, 1);
	live_breakloop(q->c.cap);
}

int lcap_finish(struct lcap *q, struct lcap_end *end, char *err)
{
	if (q->started) {
		if (!lcap_done(q))
			lcap_abort(q);
		pthread_join(q->thread, NULL);
		q->started = 0;
	}
	end->stop_ns = q->stop_ns;
	end->count_done = q->count_done;
	if (q->rc)
		memcpy(err, q->err, FT_ERRBUF_SIZE);
	return q->rc;
}

void lcap_free(struct lcap *q)
{
	if (!q)
		return;
	if (q->started) {
		struct lcap_end end;
		char err[FT_ERRBUF_SIZE];

		lcap_finish(q, &end, err);
	}
	bq_destroy(&q->full);
	bq_destroy(&q->free);
	pthread_mutex_destroy(&q->st_mu);
	free(q->pool);
	free(q);
}
