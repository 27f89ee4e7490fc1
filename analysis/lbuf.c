/* SPDX-License-Identifier: MIT */
/*
 * Text without printf; see lbuf.h.
 */
#include "analysis/lbuf.h"

#include "analysis/segment.h"

#define NS 1000000000ULL

void lb_flush(struct lbuf *b)
{
	if (b->out && b->n)
		fwrite(b->buf, 1, b->n, b->out);
	b->n = 0;
}

void lb_raw_full(struct lbuf *b, const char *s, size_t len)
{
	if (!b->out) {
		/* bounded: keep what fits, and room for a NUL */
		if (b->n + 1 < sizeof(b->buf)) {
			size_t room = sizeof(b->buf) - 1 - b->n;

			memcpy(b->buf + b->n, s, len < room ? len : room);
			b->n += len < room ? len : room;
		}
		return;
	}
	lb_flush(b);
	if (len >= sizeof(b->buf)) {
		fwrite(s, 1, len, b->out);
		return;
	}
	memcpy(b->buf, s, len);
	b->n = len;
}

static const char pairs[201] = "00010203040506070809"
				"10111213141516171819"
				"20212223242526272829"
				"30313233343536373839"
				"40414243444546474849"
				"50515253545556575859"
				"60616263646566676869"
				"70717273747576777879"
				"80818283848586878889"
				"90919293949596979899";

/*
 * Decimal digits of v, at least width of them, ending at end; two at a
 * time, which halves the divisions.
 */
static char *digits(char *end, uint64_t v, int width)
{
	char *p = end;

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100);

		v /= 100;
		p -= 2;
		memcpy(p, pairs + 2 * d, 2);
		width -= 2;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * v, 2);
		width -= 2;
	} else {
		*--p = (char)('0' + v);
		width--;
	}
	while (width-- > 0)
		*--p = '0';
	return p;
}

void lb_u64w(struct lbuf *b, uint64_t v, int width)
{
	char d[24], *p = digits(d + sizeof(d), v, width < 21 ? width : 21);

	lb_raw(b, p, (size_t)(d + sizeof(d) - p));
}

void lb_ns(struct lbuf *b, uint64_t ns)
{
	char d[32], *end = d + sizeof(d), *p;

	p = digits(end, ns % NS, 9);
	*--p = '.';
	p = digits(p, ns / NS, 1);
	lb_raw(b, p, (size_t)(end - p));
}

void lb_ns_diff(struct lbuf *b, uint64_t a, uint64_t o)
{
	if (a < o)
		lb_ch(b, '-');
	lb_ns(b, a >= o ? a - o : o - a);
}

void lb_iso(struct lbuf *b, uint64_t wall_ns)
{
	char t[LB_ISO_MAX];
	size_t len = lb_fmt_iso(t, wall_ns);

	lb_raw(b, t, len);
}

void lb_endpoint(struct lbuf *b, const uint8_t *addr, uint8_t family,
		 uint16_t port)
{
	char t[LB_ENDPOINT_MAX];
	size_t len = lb_fmt_endpoint(t, addr, family, port);

	lb_raw(b, t, len);
}

static char *put_ipv4(char *p, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		if (i < 3)
			*p++ = '.';
	}
	return p;
}

/*
 * RFC 5952 as glibc's inet_ntop() applies it: lower-case hex without
 * leading zeros, the longest run of two or more zero words (the first
 * of equal ones) as "::", and the last 32 bits as a dotted quad for
 * IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
 * addresses.
 */
static char *put_ipv6(char *p, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (!w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
			continue;
		}
		if (cur >= 0 && cur_len > best_len)
			best = cur, best_len = cur_len;
		cur = -1;
	}
	if (cur >= 0 && cur_len > best_len)
		best = cur, best_len = cur_len;
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return put_ipv4(p, a + 12);
		for (int s = 12, started = 0; s >= 0; s -= 4) {
			unsigned x = (w[i] >> s) & 0xf;

			if (x || started || !s) {
				*p++ = hex[x];
				started = 1;
			}
		}
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

size_t lb_fmt_addr(char *out, const uint8_t *addr, uint8_t family)
{
	char *p = family == SEG_IPV6 ? put_ipv6(out, addr)
				     : put_ipv4(out, addr);

	*p = '\0';
	return (size_t)(p - out);
}

size_t lb_fmt_endpoint(char *out, const uint8_t *addr, uint8_t family,
		       uint16_t port)
{
	char d[8], *q = digits(d + sizeof(d), port, 1), *p = out;

	if (family == SEG_IPV6) {
		*p++ = '[';
		p = put_ipv6(p, addr);
		*p++ = ']';
	} else {
		p = put_ipv4(p, addr);
	}
	*p++ = ':';
	memcpy(p, q, (size_t)(d + sizeof(d) - q));
	p += d + sizeof(d) - q;
	*p = '\0';
	return (size_t)(p - out);
}

/*
 * The proleptic Gregorian date of a day counted from 1970-01-01 (the
 * days-from-civil algorithm inverted, eras of 400 years).
 */
static void civil(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
	uint64_t z = days + 719468;
	uint64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (unsigned)(yoe + era * 400) + (*m <= 2);
}

size_t lb_fmt_iso(char *out, uint64_t wall_ns)
{
	uint64_t s = wall_ns / NS;
	unsigned y, mo, d, sod = (unsigned)(s % 86400);
	char *p = out;

	civil(s / 86400, &y, &mo, &d);
	/* a uint64_t of ns ends in 2554: the year has four digits */
	p[0] = (char)('0' + y / 1000);
	p[1] = (char)('0' + y / 100 % 10);
	p[2] = (char)('0' + y / 10 % 10);
	p[3] = (char)('0' + y % 10);
	p[4] = '-';
	p[5] = (char)('0' + mo / 10);
	p[6] = (char)('0' + mo % 10);
	p[7] = '-';
	p[8] = (char)('0' + d / 10);
	p[9] = (char)('0' + d % 10);
	p[10] = 'T';
	p[11] = (char)('0' + sod / 36000);
	p[12] = (char)('0' + sod / 3600 % 10);
	p[13] = ':';
	p[14] = (char)('0' + sod % 3600 / 600);
	p[15] = (char)('0' + sod % 3600 / 60 % 10);
	p[16] = ':';
	p[17] = (char)('0' + sod % 60 / 10);
	p[18] = (char)('0' + sod % 10);
	p[19] = '.';
	digits(p + 29, wall_ns % NS, 9);
	p[29] = 'Z';
	p[30] = '\0';
	return 30;
}
