/* SPDX-License-Identifier: MIT */
/*
 * Glossary of the TCP states (RFC 9293, 3.3.2) as the people who meet them
 * in netstat or ss output see them: what the state means, who is waiting
 * for whom, what a socket lingering in it points to, and the settings that
 * bound it. Plain constant data: `fintrace states` prints it and the HTML
 * report quotes the closing states from it.
 */
#ifndef FT_ANALYSIS_STATES_H
#define FT_ANALYSIS_STATES_H

#include <stddef.h>

struct st_state {
	const char *name;      /* "CLOSE_WAIT", as netstat spells it */
	const char *ss_name;   /* "CLOSE-WAIT", as ss (and RFC 9293) spell it */
	const char *summary;   /* one line */
	const char *meaning;   /* what the state is */
	const char *waiting;   /* who waits for whom */
	const char *lingering; /* what many of them, or old ones, point to */
	const char *knobs;     /* timers and settings that bound it */
};

/* Every state, in the order a connection meets them. */
const struct st_state *st_all(size_t *n);

/*
 * The state named name, case-insensitive, with '_', '-' and spaces
 * ignored: "close_wait", "CLOSE-WAIT", "closewait", and the spellings of
 * ss ("ESTAB", "SYN-RECV"), netstat ("FIN_WAIT1") and Windows netstat
 * ("FIN_WAIT_2", "SYN_RECEIVED", "LISTENING"). NULL when unknown.
 */
const struct st_state *st_find(const char *name);

#endif /* FT_ANALYSIS_STATES_H */
