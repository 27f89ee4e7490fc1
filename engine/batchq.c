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

	pthread_mutex_init(&q->own.mu, NULL);
	/* Timed waits against the clock the callers' ticks use, which
	 * does not jump when the wall clock is set. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->own.cv, &ca);
	pthread_condattr_destroy(&ca);
	q->lk = &q->own;
	q->head = q->n = 0;
	q->closed = 0;
}

void bq_init_shared(struct bq *q, struct bq *with)
{
	q->lk = with->lk;
	q->head = q->n = 0;
	q->closed = 0;
}

void bq_destroy(struct bq *q)
{
	if (q->lk != &q->own)
		return;
	pthread_mutex_destroy(&q->own.mu);
	pthread_cond_destroy(&q->own.cv);
}

/* Wake q's reader; under a shared lock, the other waiter too. */
static void wake(struct bq *q)
{
	if (q->lk == &q->own)
		pthread_cond_signal(&q->lk->cv);
	else
		pthread_cond_broadcast(&q->lk->cv);
}

void bq_push(struct bq *q, void *b)
{
	pthread_mutex_lock(&q->lk->mu);
	q->v[(q->head + q->n++) % BQ_MAX] = b;
	wake(q);
	pthread_mutex_unlock(&q->lk->mu);
}

/* The oldest batch; q's lock held and q->n > 0. */
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

	pthread_mutex_lock(&q->lk->mu);
	while (!q->n)
		pthread_cond_wait(&q->lk->cv, &q->lk->mu);
	b = take(q);
	pthread_mutex_unlock(&q->lk->mu);
	return b;
}

void *bq_pop_either(struct bq *a, int use_a, struct bq *b, int use_b,
		    struct bq **from)
{
	struct bq *q;
	void *v;

	/* one queue only: its own lock, whether shared or not */
	if (!use_a || !use_b) {
		*from = use_a ? a : b;
		return bq_pop(*from);
	}
	pthread_mutex_lock(&a->lk->mu);
	while (!(q = a->n ? a : b->n ? b : NULL))
		pthread_cond_wait(&a->lk->cv, &a->lk->mu);
	v = take(q);
	pthread_mutex_unlock(&a->lk->mu);
	*from = q;
	return v;
}

void *bq_trypop(struct bq *q)
{
	void *b = NULL;

	pthread_mutex_lock(&q->lk->mu);
	if (q->n)
		b = take(q);
	pthread_mutex_unlock(&q->lk->mu);
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

	pthread_mutex_lock(&q->lk->mu);
	while (!q->n && !q->closed && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&q->lk->cv, &q->lk->mu, &ts);
	if (q->n)
		b = take(q);
	pthread_mutex_unlock(&q->lk->mu);
	return b;
}

void bq_close(struct bq *q)
{
	pthread_mutex_lock(&q->lk->mu);
	q->closed = 1;
	wake(q);
	pthread_mutex_unlock(&q->lk->mu);
}

int bq_done(struct bq *q)
{
	int done;

	pthread_mutex_lock(&q->lk->mu);
	done = q->closed && !q->n;
	pthread_mutex_unlock(&q->lk->mu);
	return done;
}

unsigned bq_count(struct bq *q)
{
	unsigned n;

	pthread_mutex_lock(&q->lk->mu);
	n = q->n;
	pthread_mutex_unlock(&q->lk->mu);
	return n;
}
