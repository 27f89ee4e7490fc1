// SPDX-License-Identifier: MIT
/*
 * The verdict table: one row per verdict, in enum order. The meanings are
 * the ones README.md and docs/fintrace.1 print; tests/test_verdict.c
 * checks that each name parses back and that the documents list them all.
 */
#include "analysis/verdict.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ROW(v, n, r, l, s, m)                                                  \
	[(v)] = {.name = (n),                                                  \
		 .rank = (r),                                                  \
		 .leak = (l),                                                  \
		 .listed = (s),                                                \
		 .meaning = (m)}

static const struct vd_info table[VD__COUNT] = {
	ROW(VD_OPEN, "open", 0, 0, 0,
	    "no teardown seen by the end of the observation"),
	ROW(VD_CLEAN, "clean", 0, 0, 0,
	    "both sides closed; the passive side within the linger "
	    "threshold"),
	ROW(VD_LATE_CLOSE, "late-close", 9, 1, 1,
	    "the passive side closed, but stayed in CLOSE_WAIT longer than "
	    "the linger threshold"),
	ROW(VD_NEVER_CLOSED, "never-closed", 10, 1, 1,
	    "the passive side ACKed the peer's FIN and never closed, in "
	    "CLOSE_WAIT at least the linger threshold"),
	ROW(VD_HALF_CLOSE, "half-close", 2, 0, 0,
	    "the passive side still sent data after the peer's FIN "
	    "(shutdown(SHUT_WR) in use)"),
	ROW(VD_RESET, "reset", 7, 0, 0,
	    "torn down by RST (who sent it and when is in the record)"),
	ROW(VD_FIN_UNACKED, "fin-unacked", 6, 0, 0,
	    "a FIN was sent and never ACKed: the peer is gone, or the "
	    "capture lost it"),
	ROW(VD_SIMULTANEOUS, "simultaneous", 3, 0, 0,
	    "both sides sent FIN before seeing the other's"),
	ROW(VD_REFUSED, "refused", 4, 0, 0, "RST answered the SYN"),
	ROW(VD_CLOSING, "closing", 8, 0, 1,
	    "in CLOSE_WAIT for less than the linger threshold when the "
	    "observation stopped: undecided, not a leak"),
	ROW(VD_CONNECT_FAILED, "connect-failed", 5, 0, 0,
	    "connect() failed on this host before a SYN was answered (no "
	    "local port: TIME_WAIT pressure)"),
};

static const struct vd_info unknown = {.name = "?", .meaning = "?"};

const struct vd_info *vd_info(enum vd_verdict v)
{
	return (unsigned)v < VD__COUNT ? &table[v] : &unknown;
}

const char *vd_name(enum vd_verdict v)
{
	return vd_info(v)->name;
}

int vd_parse(const char *name)
{
	for (int i = 0; i < VD__COUNT; i++)
		if (!strcmp(name, table[i].name))
			return i;
	return -1;
}

int vd_parse_list(const char *s, unsigned *mask, char *bad, size_t n)
{
	const char *p = s, *comma;
	char tok[32];

	*mask = 0;
	if (bad && n)
		bad[0] = '\0';
	for (; p && *p; p = comma ? comma + 1 : NULL) {
		size_t len;
		int v;

		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len)
			continue;
		v = -1;
		if (len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			v = vd_parse(tok);
		}
		if (v < 0) {
			if (bad && n)
				snprintf(bad, n, "%.*s", (int)len, p);
			return -EINVAL;
		}
		*mask |= 1u << v;
	}
	return *mask ? 0 : -EINVAL;
}

char *vd_list(char *buf, size_t n, unsigned mask, int json)
{
	size_t used = 0;

	if (!n)
		return buf;
	buf[0] = '\0';
	for (int v = 0; v < VD__COUNT; v++) {
		int k;

		if (!(mask & 1u << v))
			continue;
		k = snprintf(buf + used, n - used, json ? "%s\"%s\"" : "%s%s",
			     used ? (json ? "," : ", ") : "", table[v].name);
		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
	return buf;
}

int vd_cmp_worse(enum vd_verdict a, enum vd_verdict b)
{
	unsigned ra = vd_info(a)->rank, rb = vd_info(b)->rank;

	return ra > rb ? -1 : ra < rb;
}
