/* SPDX-License-Identifier: MIT */
/*
 * The printf-free text of the report: every address, endpoint, time and
 * number it writes must be the text inet_ntop(), strftime() and printf()
 * write, since the report's bytes stay the same whichever writes them.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/lbuf.h"
#include "analysis/segment.h"

#define NS UINT64_C(1000000000)

/* A deterministic generator, so a failure names its input again. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_addr(const uint8_t *a, int v6)
{
	char want[LB_ADDR_MAX], got[LB_ADDR_MAX];
	size_t len;

	cr_assert_not_null(inet_ntop(v6 ? AF_INET6 : AF_INET, a, want,
				     sizeof(want)));
	len = lb_fmt_addr(got, a, v6 ? SEG_IPV6 : SEG_IPV4);
	cr_assert_str_eq(got, want);
	cr_assert_eq(len, strlen(want));
}

Test(lbuf, ipv6_as_inet_ntop_writes_it)
{
	/* every shape of zero runs over the eight words, and odd values */
	static const uint16_t vals[] = {0, 1, 0xf, 0x10, 0xff, 0x100, 0xfff,
					0x1000, 0xabcd, 0xffff};
	uint8_t a[16];
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	unsigned checked = 0;

	for (unsigned mask = 0; mask < 256; mask++)
		for (unsigned k = 0; k < 12; k++) {
			for (int w = 0; w < 8; w++) {
				uint16_t v = 0;

				if (mask & (1u << w))
					v = k < 10 ? vals[(k + (unsigned)w) % 10]
						   : (uint16_t)rnd(&s);
				if (!v && (mask & (1u << w)))
					v = 1;
				a[2 * w] = (uint8_t)(v >> 8);
				a[2 * w + 1] = (uint8_t)v;
			}
			check_addr(a, 1);
			checked++;
		}
	/* the embedded IPv4 forms: mapped, compatible and their neighbours */
	static const char *const special[] = {
		"::ffff:10.0.0.1",  "::10.0.0.1",	  "::ffff:0.0.0.0",
		"::0.0.0.1",	    "::1",		  "::",
		"::ffff:1:2",	    "0:0:0:0:1:ffff:1.2.3.4", "::fffe:1.2.3.4",
		"1::ffff:1.2.3.4",  "64:ff9b::192.0.2.33", "fe80::1:0:0:1",
		"2001:db8:0:0:1:0:0:1", "2001:0:0:1::1", "1:0:0:2:0:0:0:3",
	};
	for (size_t i = 0; i < sizeof(special) / sizeof(*special); i++) {
		cr_assert_eq(inet_pton(AF_INET6, special[i], a), 1, "%s",
			     special[i]);
		check_addr(a, 1);
		checked++;
	}
	cr_assert_eq(checked, 256 * 12 + 15);
}

Test(lbuf, ipv4_and_endpoints)
{
	uint8_t a[16] = {0};
	uint64_t s = 42;
	char got[LB_ENDPOINT_MAX], want[128], ip[64];

	for (int i = 0; i < 20000; i++) {
		uint64_t r = rnd(&s);
		uint16_t port = (uint16_t)(r >> 40);
		int v6 = i % 3 == 0;

		memcpy(a, &r, 8);
		if (v6)
			memset(a + 8, i & 1 ? 0 : 0xff, 8);
		if (i % 7 == 0)
			a[0] = 0, a[1] = 0, a[2] = 0, a[3] = (uint8_t)i;
		if (!v6)
			check_addr(a, 0);
		inet_ntop(v6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip));
		snprintf(want, sizeof(want), v6 ? "[%s]:%u" : "%s:%u", ip,
			 port);
		cr_assert_eq(lb_fmt_endpoint(got, a, v6 ? SEG_IPV6 : SEG_IPV4,
					     port),
			     strlen(want));
		cr_assert_str_eq(got, want);
	}
}

Test(lbuf, utc_times_as_strftime_writes_them)
{
	uint64_t s = 7;
	char got[LB_ISO_MAX], want[64], day[32];
	/* epoch, leap days, century rules, the end of uint64_t's range */
	static const uint64_t fixed[] = {
		0,
		951782400ULL * NS,           /* 2000-02-29 */
		4107542400ULL * NS - 1,      /* the last ns of 2099 */
		4107542400ULL * NS,          /* 2100-03-01 */
		1704067200ULL * NS + 123,    /* 2024-01-01 */
		UINT64_MAX,
	};

	for (int i = 0; i < 100000; i++) {
		uint64_t t = i < 6 ? fixed[i] : rnd(&s);
		time_t sec = (time_t)(t / NS);
		struct tm tm;

		cr_assert_not_null(gmtime_r(&sec, &tm));
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "%s.%09" PRIu64 "Z", day, t % NS);
		cr_assert_eq(lb_fmt_iso(got, t), strlen(want));
		cr_assert_str_eq(got, want, "t=%" PRIu64, t);
	}
}

Test(lbuf, numbers_and_seconds_as_printf_writes_them)
{
	struct lbuf b;
	char want[128];
	uint64_t s = 99;

	for (int i = 0; i < 20000; i++) {
		uint64_t v = i < 64 ? (i < 32 ? (uint64_t)i : UINT64_MAX - (uint64_t)i)
				    : rnd(&s) >> (i % 64);

		lb_init(&b, NULL);
		lb_u64(&b, v);
		lb_ch(&b, ' ');
		lb_ns(&b, v);
		lb_ch(&b, ' ');
		lb_u64w(&b, v % 1000, 9);
		lb_ch(&b, ' ');
		lb_ns_diff(&b, v / 2, v / 3); /* never negative */
		lb_ch(&b, ' ');
		lb_ns_diff(&b, v / 3, v / 2); /* negative unless 0 */
		snprintf(want, sizeof(want),
			 "%" PRIu64 " %" PRIu64 ".%09" PRIu64 " %09" PRIu64
			 " %" PRIu64 ".%09" PRIu64 " %s%" PRIu64 ".%09" PRIu64,
			 v, v / NS, v % NS, v % 1000, (v / 2 - v / 3) / NS,
			 (v / 2 - v / 3) % NS, v / 3 < v / 2 ? "-" : "",
			 (v / 2 - v / 3) / NS, (v / 2 - v / 3) % NS);
		cr_assert_eq(b.n, strlen(want));
		cr_assert(!memcmp(b.buf, want, b.n), "%s", want);
	}
}

Test(lbuf, long_text_goes_out_whole_or_is_cut_without_a_file)
{
	char *mem = NULL, piece[1000];
	size_t size = 0;
	FILE *f = open_memstream(&mem, &size);
	struct lbuf b;

	memset(piece, 'x', sizeof(piece));
	cr_assert_not_null(f);
	lb_init(&b, f);
	for (int i = 0; i < 50; i++) {
		lb_u64w(&b, (uint64_t)i, 2);
		lb_raw(&b, piece, sizeof(piece));
	}
	lb_raw(&b, mem ? mem : piece, 0);
	/* volatile: a constant length past the buffer misleads -Warray-bounds */
	volatile size_t big_len = 10000;
	char *big = malloc(big_len);
	cr_assert_not_null(big);
	memset(big, 'y', big_len);
	lb_raw(&b, big, big_len); /* larger than the buffer: straight out */
	lb_flush(&b);
	fclose(f);
	cr_assert_eq(size, 50 * 1002 + 10000);
	cr_assert(!memcmp(mem + 49 * 1002, "49x", 3));
	cr_assert_eq(mem[size - 1], 'y');
	cr_assert_eq(mem[50 * 1002 - 1], 'x');
	free(mem);

	lb_init(&b, NULL);
	lb_raw(&b, big, big_len);
	lb_raw(&b, "z", 1);
	cr_assert_eq(b.n, sizeof(b.buf) - 1, "cut, with room for a NUL");
	free(big);
}
