/* SPDX-License-Identifier: MIT */
/*
 * Output text built in memory without printf: addresses, endpoints,
 * numbers, seconds and UTC times appended to a buffer that goes to its
 * FILE in whole pieces.
 *
 * The report writes a line per flow and per group, hundreds of thousands
 * on a large capture; glibc's printf and inet_ntop cost about a thousand
 * instructions a call, more than the flow's own analysis. Everything here
 * prints exactly what the printf and inet_ntop calls it replaces print.
 */
#ifndef FT_ANALYSIS_LBUF_H
#define FT_ANALYSIS_LBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Longest text of lb_fmt_addr(), with its NUL (INET6_ADDRSTRLEN). */
#define LB_ADDR_MAX 46
/* Longest text of lb_fmt_endpoint(): "[addr]:65535" and its NUL. */
#define LB_ENDPOINT_MAX (LB_ADDR_MAX + 8)
/* Longest text of lb_fmt_iso(): "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ". */
#define LB_ISO_MAX 32

/*
 * A buffer of text on its way to out. With out set, a full buffer is
 * written out and filling goes on, so a piece of any length fits; with
 * out NULL the text is cut at the buffer's size (a bounded line).
 */
struct lbuf {
	FILE *out; /* borrowed; NULL: cut instead of writing out */
	size_t n;
	char buf[4096];
};

static inline void lb_init(struct lbuf *b, FILE *out)
{
	b->out = out;
	b->n = 0;
}

/* Write what the buffer holds to its FILE and empty it. */
void lb_flush(struct lbuf *b);

/* The slow path of lb_raw(): flush, or cut without a FILE. */
void lb_raw_full(struct lbuf *b, const char *s, size_t len);

static inline void lb_raw(struct lbuf *b, const char *s, size_t len)
{
	/* n < sizeof(buf) always; written so that it cannot wrap */
	if (len >= sizeof(b->buf) - b->n) {
		lb_raw_full(b, s, len);
		return;
	}
	memcpy(b->buf + b->n, s, len);
	b->n += len;
}

static inline void lb_str(struct lbuf *b, const char *s)
{
	lb_raw(b, s, strlen(s));
}

static inline void lb_ch(struct lbuf *b, char c)
{
	lb_raw(b, &c, 1);
}

/* v in decimal, zero-padded to width digits ("%0*"PRIu64). */
void lb_u64w(struct lbuf *b, uint64_t v, int width);

static inline void lb_u64(struct lbuf *b, uint64_t v)
{
	lb_u64w(b, v, 1);
}

/* ns as seconds with nine decimals: "%"PRIu64".%09"PRIu64. */
void lb_ns(struct lbuf *b, uint64_t ns);

/* a - o in seconds with nine decimals, "-" first when a < o. */
void lb_ns_diff(struct lbuf *b, uint64_t a, uint64_t o);

/* The text of lb_fmt_iso() (UTC, nanoseconds, "Z"). */
void lb_iso(struct lbuf *b, uint64_t wall_ns);

/* The text of lb_fmt_endpoint(). */
void lb_endpoint(struct lbuf *b, const uint8_t *addr, uint8_t family,
		 uint16_t port);

/*
 * An address (16 bytes, the first four for IPv4) as inet_ntop() writes
 * it, family SEG_IPV6 or else IPv4, into out (LB_ADDR_MAX bytes).
 * Returns the length, without the NUL.
 */
size_t lb_fmt_addr(char *out, const uint8_t *addr, uint8_t family);

/*
 * "addr:port", "[addr]:port" for IPv6, into out (LB_ENDPOINT_MAX
 * bytes). Returns the length.
 */
size_t lb_fmt_endpoint(char *out, const uint8_t *addr, uint8_t family,
		       uint16_t port);

/*
 * wall_ns as "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (UTC) into out
 * (LB_ISO_MAX bytes). Returns the length.
 */
size_t lb_fmt_iso(char *out, uint64_t wall_ns);

#endif /* FT_ANALYSIS_LBUF_H */
