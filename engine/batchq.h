/* SPDX-License-Identifier: MIT */
/*
 * A bounded queue of batch pointers between two threads, the hand-over
 * of engine/stages.c and of fintrace live's capture thread. A stage owns
 * a fixed pool of batches and two queues: full ones go forward, empty
 * ones come back, so memory never grows and a batch is one lock round
 * trip, not one per frame. A queue never holds more than its pool, so a
 * push never waits; a pop may (bq_pop), may not (bq_trypop), or may
 * until a time (bq_pop_until). Closing a queue (bq_close) tells its
 * reader that nothing more comes once it is empty. Queues may share one
 * lock (bq_init_shared), so that a thread can wait for whichever of two
 * has a batch first (bq_pop_either).
 *
 * The struct is embedded by its users; its fields are the queue's own.
 */
#ifndef FT_ENGINE_BATCHQ_H
#define FT_ENGINE_BATCHQ_H

#include <pthread.h>
#include <stdint.h>

/* Batches a queue can hold: the largest pool it serves. */
#define BQ_MAX 64

struct bq_lock {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct bq {
	struct bq_lock own;
	struct bq_lock *lk; /* &own, or the lock of the queue shared with */
	void *v[BQ_MAX];
	unsigned head, n;
	int closed;
};

/* An empty, open queue. Its waits with a time use CLOCK_MONOTONIC. */
void bq_init(struct bq *q);

/*
 * An empty, open queue under the lock of with (initialised, borrowed:
 * destroyed after q). Each wake-up then wakes every thread waiting on
 * any of the queues sharing it: for two threads, not more.
 */
void bq_init_shared(struct bq *q, struct bq *with);

/* Release the lock and condition, if q's own; the batches are the caller's. */
void bq_destroy(struct bq *q);

/*
 * Append b (the caller's: the queue only holds the pointer) and wake a
 * reader. The queue must have room: it serves a pool of at most BQ_MAX
 * batches.
 */
void bq_push(struct bq *q, void *b);

/* The oldest batch, waiting for one as long as it takes. */
void *bq_pop(struct bq *q);

/*
 * The oldest batch of a when use_a, or else of b when use_b, waiting
 * until one of them has one; with both set, a and b share a lock
 * (bq_init_shared). One of use_a and use_b is set. *from tells which
 * queue it came from.
 */
void *bq_pop_either(struct bq *a, int use_a, struct bq *b, int use_b,
		    struct bq **from);

/* The oldest batch, or NULL at once when there is none. */
void *bq_trypop(struct bq *q);

/*
 * The oldest batch, waiting at most until mono_ns (CLOCK_MONOTONIC);
 * NULL when that time came or the queue is closed and empty.
 */
void *bq_pop_until(struct bq *q, uint64_t mono_ns);

/* Nothing more will be pushed; wakes the reader. */
void bq_close(struct bq *q);

/* 1 when q is closed and holds no batch any more. */
int bq_done(struct bq *q);

/* Batches in q now (a hint: it may change at once). */
unsigned bq_count(struct bq *q);

#endif /* FT_ENGINE_BATCHQ_H */
