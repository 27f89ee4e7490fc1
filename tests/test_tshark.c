/* SPDX-License-Identifier: MIT */
/*
 * Cross-check against tshark on every capture in pcaps/: per TCP
 * conversation (tshark's tcp.stream), the number of packets, FINs and RSTs
 * agrees with fintrace's flow that starts at the same frame.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"

struct ts_stream {
	uint64_t first_frame, packets, fins, rsts;
};

static int have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static int in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

static int flag_set(const char *s)
{
	return !strcmp(s, "1") || !strcmp(s, "True") || !strcmp(s, "true");
}

static size_t tshark_streams(const char *path, struct ts_stream *st,
			     size_t max)
{
	char cmd[1024], line[256];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -Y tcp -T fields -E separator=, "
		 "-e frame.number -e tcp.stream -e tcp.flags.fin "
		 "-e tcp.flags.reset 2>/dev/null",
		 path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		char fin[8], rst[8];
		unsigned long long frame, stream;

		if (sscanf(line, "%llu,%llu,%7[^,],%7s", &frame, &stream, fin,
			   rst) != 4)
			continue;
		cr_assert_lt(stream, max, "too many streams in %s", path);
		if (stream >= n) {
			memset(&st[n], 0, (stream + 1 - n) * sizeof(*st));
			n = stream + 1;
		}
		if (!st[stream].packets)
			st[stream].first_frame = frame;
		st[stream].packets++;
		st[stream].fins += flag_set(fin);
		st[stream].rsts += flag_set(rst);
	}
	cr_assert_eq(pclose(p), 0, "tshark failed on %s", path);
	return n;
}

ParameterizedTestParameters(tshark, counts_agree)
{
	size_t n;
	struct helper_name *names = helper_scenarios(&n, cr_malloc);

	return cr_make_param_array(struct helper_name, names, n);
}

ParameterizedTest(struct helper_name *sc, tshark, counts_agree)
{
	static struct ts_stream st[4096];
	char path[512], err[FT_ERRBUF_SIZE];
	struct got got;
	size_t n;

	if (!have_tshark()) {
		if (in_ci())
			cr_assert_fail("tshark is required in CI");
		cr_skip_test("tshark not installed (apt-get install tshark)");
	}
	cr_assert_eq(helper_capture_of(sc->name, path, sizeof(path)), 0);
	n = tshark_streams(path, st, 4096);
	cr_assert_eq(helper_analyse(path, &got, err), 0, "%s", err);
	if (!strcmp(sc->name, "vxlan-tenants")) {
		/* two tenants with the same inner 4-tuple: tshark's
		 * tcp.stream merges them, fintrace keys flows by VNI */
		cr_assert_eq(got.n, 2 * n,
			     "%s: fintrace %zu flows, tshark %zu streams",
			     sc->name, got.n, n);
		helper_got_free(&got);
		return;
	}
	cr_assert_eq(got.n, n, "%s: fintrace %zu flows, tshark %zu streams",
		     sc->name, got.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct got_flow *g = NULL;

		for (size_t j = 0; j < got.n; j++)
			if (got.v[j].first_frame == st[i].first_frame)
				g = &got.v[j];
		cr_assert_not_null(g, "%s: no flow starts at frame %llu",
				   sc->name,
				   (unsigned long long)st[i].first_frame);
		cr_expect_eq(g->packets, st[i].packets,
			     "%s stream %zu: packets %llu vs tshark %llu",
			     sc->name, i, (unsigned long long)g->packets,
			     (unsigned long long)st[i].packets);
		cr_expect_eq(g->fins, st[i].fins, "%s stream %zu: FINs",
			     sc->name, i);
		cr_expect_eq(g->rsts, st[i].rsts, "%s stream %zu: RSTs",
			     sc->name, i);
	}
	helper_got_free(&got);
}
