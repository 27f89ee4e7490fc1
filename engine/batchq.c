/* SPDX-License-Identifier: MIT */
/*
 * Bounded queues of batch pointers; see batchq.h. A ring of pointers
 * under one mutex, with one condition for its reader: each queue has a
 * single reader, and writers never wait.
 */
#include "engine/batchq.h"

#include <errno.h>
#include <time.h>

void bq_init(struct bq *q)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&q->mu, NULL);
	/* Timed waits against the clock the callers' ticks use, which
	 * does not jump when the wall clock is set. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	q->head = q->n = 0;
	q->closed = 0;
}

void bq_destroy(struct bq *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

void bq_push(struct bq *q, void *b)
{
	pthread_mutex_lock(&q->mu);
	q->v[(q->head + q->n++) % BQ_MAX] = b;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* The oldest batch; q->mu held and q->n > 0. */
static void *take(struct bq *q)
{
	void *b = q->v[q->head];

	q->head = (q->head + 1) % BQ_MAX;
	q->n--;
	return b;
}

void *bq_pop(struct bq *q)
{
	void *b;

	pthread_mutex_lock(&q->mu);
	while (!q->n)
		pthread_cond_wait(&q->cv, &q->mu);
	b = take(q);
	pthread_mutex_unlock(&q->mu);
	return b;
}

void *bq_trypop(struct bq *q)
{
	void *b = NULL;

	pthread_mutex_lock(&q->mu);
	if (q->n)
		b = take(q);
	pthread_mutex_unlock(&q->mu);
	return b;
}

void *bq_pop_until(struct bq *q, uint64_t mono_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(mono_ns / 1000000000u),
		.tv_nsec = (long)(mono_ns % 1000000000u),
	};
	void *b = NULL;
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	while (!q->n && !q->closed && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	if (q->n)
		b = take(q);
	pthread_mutex_unlock(&q->mu);
	return b;
}

void bq_close(struct bq *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

int bq_done(struct bq *q)
{
	int done;

	pthread_mutex_lock(&q->mu);
	done = q->closed && !q->n;
	pthread_mutex_unlock(&q->mu);
	return done;
}

unsigned bq_count(struct bq *q)
{
	unsigned n;

	pthread_mutex_lock(&q->mu);
	n = q->n;
	pthread_mutex_unlock(&q->mu);
	return n;
}
