// SPDX-License-Identifier: MIT
/*
 * Signals that end a run; see signals.h.
 */
#include "cli/signals.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t sig_stop;

/* Called by the handler; set before the handlers are installed. */
static void (*stop_hook)(void);

static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig)
{
	(void)sig;
	sig_stop = 1;
	if (stop_hook)
		stop_hook();
}

int sig_install(struct sig_saved *saved, void (*on_stop)(void))
{
	struct sigaction sa;

	sig_stop = 0;
	stop_hook = on_stop;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a wait must end. A second signal kills. */
	sa.sa_flags = SA_RESETHAND;
	for (int i = 0; i < 3; i++) {
		if (sigaction(sigs[i], &sa, &saved->old[i])) {
			int rc = -errno;

			while (i-- > 0)
				sigaction(sigs[i], &saved->old[i], NULL);
			return rc;
		}
	}
	return 0;
}

void sig_restore(const struct sig_saved *saved)
{
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &saved->old[i], NULL);
}
