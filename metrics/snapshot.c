/* SPDX-License-Identifier: MIT */
/*
 * Reference-counted rendered texts behind one mutex-protected pointer.
 */
#include "metrics/snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct mxs_snap {
	atomic_uint refs;
	size_t len;
	char text[];
};

struct mxs {
	pthread_mutex_t lock;
	struct mxs_snap *cur;
};

static struct mxs_snap *snap_new(size_t len)
{
	struct mxs_snap *s = malloc(sizeof(*s) + len + 1);

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->len = len;
	s->text[len] = '\0';
	return s;
}

struct mxs *mxs_new(void)
{
	struct mxs *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cur = snap_new(0);
	if (!p->cur) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void mxs_free(struct mxs *p)
{
	if (!p)
		return;
	mxs_release(p->cur);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Make s current; the reference of the text it replaces is dropped. */
static void swap_in(struct mxs *p, struct mxs_snap *s)
{
	struct mxs_snap *old;

	pthread_mutex_lock(&p->lock);
	old = p->cur;
	p->cur = s;
	pthread_mutex_unlock(&p->lock);
	mxs_release(old);
}

int mxs_publish(struct mxs *p, const struct mx_registry *r)
{
	size_t len = mx_render(r, NULL, 0);
	struct mxs_snap *s = snap_new(len);

	if (!s)
		return -ENOMEM;
	mx_render(r, s->text, len + 1);
	swap_in(p, s);
	return 0;
}

int mxs_publish_text(struct mxs *p, const char *text, size_t len)
{
	struct mxs_snap *s = snap_new(len);

	if (!s)
		return -ENOMEM;
	memcpy(s->text, text, len);
	swap_in(p, s);
	return 0;
}

struct mxs_snap *mxs_acquire(struct mxs *p)
{
	struct mxs_snap *s;

	pthread_mutex_lock(&p->lock);
	s = p->cur;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&p->lock);
	return s;
}

void mxs_release(struct mxs_snap *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

const char *mxs_text(const struct mxs_snap *s, size_t *len)
{
	if (len)
		*len = s->len;
	return s->text;
}
