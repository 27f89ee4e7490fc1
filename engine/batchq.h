/* SPDX-License-Identifier: MIT */
/*
 * A bounded queue of batch pointers between two threads, the hand-over
 * of engine/stages.c and of fintrace live's capture thread. A stage owns
 * a fixed pool of batches and two queues: full ones go forward, empty
 * ones come back, so memory never grows and a batch is one lock round
 * trip, not one per frame. A queue never holds more than its pool, so a
 * push never waits; a pop may (bq_pop), may not (bq_trypop), or may
 * until a time (bq_pop_until). Closing a queue (bq_close) tells its
 * reader that nothing more comes once it is empty.
 *
 * The struct is embedded by its users; its fields are the queue's own.
 */
#ifndef FT_ENGINE_BATCHQ_H
#define FT_ENGINE_BATCHQ_H

#include <pthread.h>
#include <stdint.h>

/* Batches a queue can hold: the largest pool it serves. */
#define BQ_MAX 64

struct bq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void *v[BQ_MAX];
	unsigned head, n;
	int closed;
};

/* An empty, open queue. Its waits with a time use CLOCK_MONOTONIC. */
void bq_init(struct bq *q);

/* Release the lock and condition; the batches are the caller's. */
void bq_destroy(struct bq *q);

/*
 * Append b (the caller's: the queue only holds the pointer) and wake a
 * reader. The queue must have room: it serves a pool of at most BQ_MAX
 * batches.
 */
void bq_push(struct bq *q, void *b);

/* The oldest batch, waiting for one as long as it takes. */
void *bq_pop(struct bq *q);

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
