/* SPDX-License-Identifier: MIT */
/*
 * How a user ends fintrace live and fintrace kernel: SIGINT (Ctrl-C),
 * SIGTERM (a service manager) and SIGHUP (the terminal closed) set one
 * flag, and the run ends with its full report. A second signal ends the
 * process at once (the handlers reset themselves).
 */
#ifndef FT_CLI_SIGNALS_H
#define FT_CLI_SIGNALS_H

#include <signal.h>

/* Set by the handlers; cleared by sig_install(). */
extern volatile sig_atomic_t sig_stop;

struct sig_saved {
	struct sigaction old[3]; /* SIGINT, SIGTERM, SIGHUP */
};

/*
 * Install the handlers, keeping the previous ones in *saved. on_stop
 * (may be NULL) is called from the handler after the flag is set: it
 * must be async-signal-safe (pcap_breakloop() is). Returns 0, or -errno
 * with nothing installed.
 */
int sig_install(struct sig_saved *saved, void (*on_stop)(void));

/* Put back the handlers sig_install() replaced. */
void sig_restore(const struct sig_saved *saved);

#endif /* FT_CLI_SIGNALS_H */
