/* SPDX-License-Identifier: MIT */
/* Read-ahead window; see window.h. */
#include "capture/window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int src_win_room(struct src_win *w, size_t want)
{
	if (w->at) {
		memmove(w->buf, w->buf + w->at, src_win_buffered(w));
		w->have -= w->at;
		w->at = 0;
	}
	if (want > w->cap || w->cap < SRC_WIN_MAX) {
		size_t cap = !w->cap		    ? SRC_WIN_FIRST
			     : w->cap < SRC_WIN_MAX ? 2 * w->cap
						    : w->cap;
		uint8_t *nb;

		if (cap < want)
			cap = want;
		nb = realloc(w->buf, cap);
		if (!nb)
			return -ENOMEM;
		w->buf = nb;
		w->cap = cap;
	}
	return 0;
}

void src_win_free(struct src_win *w)
{
	free(w->buf);
	*w = (struct src_win){0};
}
