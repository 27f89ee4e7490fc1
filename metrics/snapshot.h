/* SPDX-License-Identifier: MIT */
/*
 * The last rendered exposition of a registry, handed from the thread that
 * owns the registry (the capture thread) to the thread that serves it
 * (metrics/http.h) without making either wait for the other.
 *
 * The owner renders the whole text into a new buffer outside any lock
 * (mxs_publish), then swaps one pointer under a mutex. A reader takes a
 * reference to the current buffer under the same mutex (mxs_acquire) and
 * sends it at its own pace; the buffer is freed when the last reference
 * goes. Each side holds the mutex only for a pointer swap or a counter
 * increment: a slow scraper never slows the capture.
 */
#ifndef FT_METRICS_SNAPSHOT_H
#define FT_METRICS_SNAPSHOT_H

#include <stddef.h>

#include "metrics/registry.h"

struct mxs;	 /* the publication point */
struct mxs_snap; /* one rendered text, reference-counted */

/* New publication point holding an empty text. NULL with errno set. */
struct mxs *mxs_new(void);

/*
 * Drop the current text; snapshots still acquired stay valid until
 * released. Call it after the readers stopped (mxh_stop). NULL is a no-op.
 */
void mxs_free(struct mxs *p);

/*
 * Render r and make the text current (owner thread; r is only read).
 * Returns 0 or -ENOMEM (the previous text stays current).
 */
int mxs_publish(struct mxs *p, const struct mx_registry *r);

/* Make a copy of text[0..len-1] current. Returns 0 or -ENOMEM. */
int mxs_publish_text(struct mxs *p, const char *text, size_t len);

/*
 * The current text, with a reference the caller owns and gives back
 * with mxs_release() (any thread). Never NULL.
 */
struct mxs_snap *mxs_acquire(struct mxs *p);

/* Drop a reference; the last one frees the text. NULL is a no-op. */
void mxs_release(struct mxs_snap *s);

/* The text of s (NUL-terminated) and its length; borrowed from s. */
const char *mxs_text(const struct mxs_snap *s, size_t *len);

#endif /* FT_METRICS_SNAPSHOT_H */
