/* SPDX-License-Identifier: MIT */
/*
 * Integration: every scenario capture in pcaps/ (recorded from the real
 * Linux TCP stack) gives the verdicts, sides and close-wait times of its
 * .expected file, which pcaps/expected.sh derived from the capture's own
 * timestamps with tshark.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>

#include "helpers.h"

/* Captures the project promises; each must exist with its .expected. */
static const char *const required[] = {
	"clean-client-close", "clean-server-close", "server-never-closes",
	"server-late-close",  "late-fin-rst",       "client-never-closes",
	"abort-linger0",      "unread-data-rst",    "half-close",
	"simultaneous-close", "refused",            "fin-unacked",
	"ipv6-leak",          "vlan",               "cooked-any",
	"cooked-any-v1",      "midstream",          "pcapng-leak",
	"demo-print-server",  "isb-end",            "vxlan-leak",
	"multi-iface",        "gzip-leak",          "mpls-leak",
	"gre-key-leak",       "gre-teb-leak",       "erspan2-leak",
	"erspan3-leak",       "ipip-leak",          "pppoe-leak",
	"geneve-leak",        "one-way-client",     "one-way-server",
	"late-half-close",    "ip6ip-leak",         "vxlan-tenants",
};

Test(scenarios, every_required_capture_exists)
{
	char path[512];

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		FILE *f;

		cr_expect_eq(helper_capture_of(required[i], path,
					       sizeof(path)),
			     0, "missing capture %s", required[i]);
		snprintf(path, sizeof(path), "%s/%s.expected", PCAP_DIR,
			 required[i]);
		f = fopen(path, "r");
		cr_expect_not_null(f, "missing %s", path);
		if (f)
			fclose(f);
	}
}

struct want {
	char client[64], server[64], roles[16], verdict[16], active[8],
		reset_by[8], cw[32];
};

static size_t read_expected(const char *name, struct want *w, size_t max)
{
	char path[512], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.expected", PCAP_DIR, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		cr_assert_lt(n, max);
		cr_assert_eq(sscanf(line, "%63s %63s %15s %15s %7s %7s %31s",
				    w[n].client, w[n].server, w[n].roles,
				    w[n].verdict, w[n].active, w[n].reset_by,
				    w[n].cw),
			     7, "%s: bad line: %s", path, line);
		n++;
	}
	fclose(f);
	return n;
}

ParameterizedTestParameters(scenarios, verdicts)
{
	size_t n;
	struct helper_name *names = helper_scenarios(&n, cr_malloc);

	return cr_make_param_array(struct helper_name, names, n);
}

ParameterizedTest(struct helper_name *sc, scenarios, verdicts)
{
	static struct want want[1024];
	char path[512], err[FT_ERRBUF_SIZE];
	struct got got;
	size_t n;

	cr_assert_eq(helper_capture_of(sc->name, path, sizeof(path)), 0,
		     "%s: no capture", sc->name);
	n = read_expected(sc->name, want, 1024);
	cr_assert_eq(helper_analyse(path, &got, err), 0, "%s: %s", path, err);
	cr_assert_eq(got.n, n, "%s: %zu flows, expected %zu", sc->name, got.n,
		     n);
	for (size_t i = 0; i < n; i++) {
		const struct got_flow *g = &got.v[i];
		const struct want *w = &want[i];

		cr_expect_str_eq(g->client, w->client, "%s flow %zu client",
				 sc->name, i + 1);
		cr_expect_str_eq(g->server, w->server, "%s flow %zu server",
				 sc->name, i + 1);
		cr_expect_str_eq(g->roles_inferred ? "inferred" : "syn",
				 w->roles, "%s flow %zu roles", sc->name,
				 i + 1);
		cr_expect_str_eq(vd_name(g->verdict), w->verdict,
				 "%s flow %zu (%s) verdict", sc->name, i + 1,
				 g->client);
		cr_expect_str_eq(g->active, w->active,
				 "%s flow %zu active closer", sc->name, i + 1);
		cr_expect_str_eq(g->reset_by, w->reset_by,
				 "%s flow %zu reset by", sc->name, i + 1);
		if (!strcmp(w->cw, "-")) {
			cr_expect_not(g->has_close_wait &&
					      g->verdict != VD_CLEAN &&
					      g->verdict != VD_RESET,
				      "%s flow %zu: unexpected close-wait",
				      sc->name, i + 1);
		} else {
			double want_s = strtod(w->cw, NULL);
			double got_s = (double)g->close_wait_ns / 1e9;

			cr_expect(g->has_close_wait,
				  "%s flow %zu: no close-wait", sc->name,
				  i + 1);
			/* expected files carry microseconds */
			cr_expect(fabs(got_s - want_s) < 1.5e-6,
				  "%s flow %zu close-wait %.9f, expected %s",
				  sc->name, i + 1, got_s, w->cw);
		}
	}
	helper_got_free(&got);
}
