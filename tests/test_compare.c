/* SPDX-License-Identifier: MIT */
/*
 * fintrace compare: the verdict per service from hand-written report
 * lines (analysis/compare.h), then the command on the recorded captures
 * pcaps/print-server-leak.pcap and pcaps/print-server-fixed.pcap.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analysis/compare.h"
#include "cmdrun.h"

#define LEAK PCAP_DIR "/print-server-leak.pcap"
#define FIXED PCAP_DIR "/print-server-fixed.pcap"

static void line(struct cmp_report *r, const char *s)
{
	char err[CMP_ERRBUF] = "";

	cr_assert_eq(cmp_report_line(r, s, strlen(s), err), 0, "%s: %s", s,
		     err);
}

/* A service record of service svc. */
static void service(struct cmp_report *r, const char *svc, int flows, int never,
		    int late, double p90)
{
	char buf[1024];

	snprintf(
		buf, sizeof(buf),
		"{\"type\":\"service\",\"side\":\"server\",\"service\":\"%s\","
		"\"flows\":%d,\"verdicts\":{\"clean\":%d,\"never-closed\":%d,"
		"\"late-close\":%d},\"client_leaks\":0,\"close_wait\":"
		"{\"count\":%d,\"p50\":0.1,\"p90\":%g,\"p99\":%g,\"max\":%g,"
		"\"sampled\":false},\"in_close_wait_at_end\":%d,"
		"\"oldest_at_end\":0,\"peak_close_wait\":%d,\"peak_offset\":"
		"null,"
		"\"growth_per_hour\":1.5,\"timeline_bucket\":1,\"timeline\":[],"
		"\"worst_flows\":[]}",
		svc, flows, flows - never - late, never, late, flows, p90, p90,
		p90, never, never);
	line(r, buf);
}

static void summary(struct cmp_report *r, const char *version)
{
	char buf[256];

	snprintf(buf, sizeof(buf),
		 "{\"type\":\"summary\",\"version\":\"%s\",\"mode\":\"read\","
		 "\"flows\":10}",
		 version);
	line(r, buf);
}

static enum cmp_verdict one(int fb, int nb, int lb, double pb, int fa, int na,
			    int la, double pa)
{
	struct cmp_report b, a;
	struct cmp_result res;
	char err[CMP_ERRBUF];
	enum cmp_verdict v;

	cmp_report_init(&b, "before");
	cmp_report_init(&a, "after");
	service(&b, "10.0.0.1:80", fb, nb, lb, pb);
	summary(&b, FT_VERSION);
	service(&a, "10.0.0.1:80", fa, na, la, pa);
	summary(&a, FT_VERSION);
	cr_assert_eq(cmp_report_finish(&b, FT_VERSION, err), 0, "%s", err);
	cr_assert_eq(cmp_diff(&b, &a, &res), 0);
	cr_assert_eq(res.n, 1);
	v = res.rows[0].verdict;
	cr_assert_eq(cmp_worse(&res), v == CMP_WORSE);
	cmp_result_free(&res);
	cmp_report_free(&b);
	cmp_report_free(&a);
	return v;
}

Test(compare, verdicts_per_service)
{
	static const struct {
		int fb, nb, lb;
		double pb;
		int fa, na, la;
		double pa;
		enum cmp_verdict want;
	} cases[] = {
		{90, 28, 0, 9, 95, 0, 0, 0.01, CMP_FIXED},
		{90, 28, 7, 9, 95, 0, 7, 6, CMP_STILL_LEAKING},
		{90, 28, 0, 9, 95, 10, 0, 9, CMP_STILL_LEAKING},
		{90, 0, 0, 0.01, 95, 0, 0, 0.02, CMP_NO_LEAK},
		/* from none to one never-closed is worse */
		{90, 0, 0, 0.01, 95, 1, 0, 0.02, CMP_WORSE},
		/* 28 of 90 predicts 29.6 of 95: 31 is noise, 33 is worse */
		{90, 28, 0, 9, 95, 31, 0, 9, CMP_STILL_LEAKING},
		{90, 28, 0, 9, 95, 33, 0, 9, CMP_WORSE},
		/* late closes per connection */
		{100, 0, 0, 0.01, 100, 0, 3, 0.02, CMP_WORSE},
		/* p90: 25% and 1 s above before's */
		{100, 5, 0, 8, 100, 5, 0, 9.9, CMP_STILL_LEAKING},
		{100, 5, 0, 8, 100, 5, 0, 10.1, CMP_WORSE},
		{100, 0, 0, 0.1, 100, 0, 0, 0.9, CMP_NO_LEAK},
		{100, 0, 0, 0.1, 100, 0, 0, 1.2, CMP_WORSE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(one(cases[i].fb, cases[i].nb, cases[i].lb,
				 cases[i].pb, cases[i].fa, cases[i].na,
				 cases[i].la, cases[i].pa),
			     cases[i].want, "case %zu", i);
}

Test(compare, verdict_line_says_it)
{
	struct cmp_report b, a;
	struct cmp_result res;
	char buf[256];

	cmp_report_init(&b, "b");
	cmp_report_init(&a, "a");
	service(&b, "10.77.0.2:9100", 90, 28, 0, 9);
	service(&b, "10.77.0.2:631", 27, 0, 0, 0.001);
	service(&a, "10.77.0.2:9100", 95, 0, 0, 0.001);
	service(&a, "10.77.0.3:80", 5, 1, 0, 6);
	summary(&b, FT_VERSION);
	summary(&a, FT_VERSION);
	cr_assert_eq(cmp_diff(&b, &a, &res), 0);
	cr_assert_eq(res.n, 3);
	cr_assert_eq(res.rows[0].verdict, CMP_NEW);
	cr_assert_eq(res.rows[1].verdict, CMP_FIXED);
	cr_assert_eq(res.rows[2].verdict, CMP_GONE);
	cr_assert_not(cmp_worse(&res), "new and gone are never worse");
	cmp_verdict_line(buf, sizeof(buf), &res.rows[1]);
	cr_assert_str_eq(buf, "10.77.0.2:9100: 28 of 90 never closed before, "
			      "0 of 95 after: fixed");
	cmp_verdict_line(buf, sizeof(buf), &res.rows[0]);
	cr_assert_str_eq(buf, "10.77.0.3:80: 1 of 5 never closed after, not "
			      "seen before: new");
	cmp_result_free(&res);
	cmp_report_free(&b);
	cmp_report_free(&a);
}

Test(compare, processes_match_by_name_and_add_up)
{
	struct cmp_report r;

	cmp_report_init(&r, "k");
	line(&r, "{\"type\":\"process\",\"pid\":10,\"comm\":\"lpd\","
		 "\"flows\":3,\"verdicts\":{\"never-closed\":1,"
		 "\"late-close\":0},\"close_wait\":{\"count\":0},"
		 "\"in_close_wait_at_end\":1,\"peak_close_wait\":1,"
		 "\"growth_per_hour\":0}");
	line(&r, "{\"type\":\"process\",\"pid\":11,\"comm\":\"lpd\","
		 "\"flows\":2,\"verdicts\":{\"never-closed\":2,"
		 "\"late-close\":1},\"close_wait\":{\"count\":1,\"p50\":7,"
		 "\"p90\":7,\"p99\":7,\"max\":7},\"in_close_wait_at_end\":2,"
		 "\"peak_close_wait\":2,\"growth_per_hour\":0}");
	line(&r, "{\"type\":\"service\",\"side\":\"client\",\"host\":\"x\"}");
	line(&r, "{\"type\":\"flow\",\"id\":1,\"whatever\":[}");
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.g[0].key, "lpd");
	cr_assert_eq(r.g[0].kind, CMP_PROCESS);
	cr_assert_eq(r.g[0].flows, 5);
	cr_assert_eq(r.g[0].never_closed, 3);
	cr_assert_eq(r.g[0].late_close, 1);
	cr_assert_eq(r.g[0].cw_count, 1);
	cr_assert_float_eq(r.g[0].p90, 7.0, 1e-9);
	cmp_report_free(&r);
}

Test(compare, bad_lines_name_their_line)
{
	static const char *const bad[] = {
		"not json",
		"[1,2]",
		"{\"no\":\"type\"}",
		"{\"type\":\"service\",\"side\":\"server\",\"service\":\"a\"}",
		/* one line, written in two */
		("{\"type\":\"service\",\"side\":\"server\",\"service\":\"a\","
		 "\"flows\":-1}"),
		"{\"type\":\"summary\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cmp_report r;
		char err[CMP_ERRBUF] = "";

		cmp_report_init(&r, "x");
		line(&r, "");
		cr_assert_eq(cmp_report_line(&r, bad[i], strlen(bad[i]), err),
			     -EINVAL, "%s", bad[i]);
		cr_assert(!strncmp(err, "line 2: ", 8), "%s", err);
		cmp_report_free(&r);
	}
}

Test(compare, other_version_or_no_summary_is_refused)
{
	struct cmp_report r;
	char err[CMP_ERRBUF];

	cmp_report_init(&r, "x");
	service(&r, "10.0.0.1:80", 1, 0, 0, 0);
	cr_assert_eq(cmp_report_finish(&r, "0.1.0", err), -EINVAL);
	cr_assert(strstr(err, "no summary"), "%s", err);
	summary(&r, "0.2.3");
	cr_assert_eq(cmp_report_finish(&r, "0.1.0", err), -EINVAL);
	cr_assert(strstr(err, "0.2.3") && strstr(err, "0.1.0"), "%s", err);
	cr_assert_eq(cmp_report_finish(&r, "0.2.0", err), 0, "%s", err);
	cr_assert_eq(cmp_report_finish(&r, "0.20.3", err), -EINVAL);
	cmp_report_free(&r);
}

TestSuite(compare_cmd, .init = cmd_setup, .fini = cmd_teardown);

Test(compare_cmd, fixed_then_worse_in_reverse)
{
	cr_assert_eq(cmd_run(FINTRACE " compare " LEAK " " FIXED " > '%s'",
			     cmd_path("fixed.txt")),
		     0);
	cr_assert(strstr(cmd_slurp("fixed.txt"),
			 "10.77.0.2:9100: 8 of 24 never closed before, 0 of "
			 "24 after: fixed\n"),
		  "%s", cmd_slurp("fixed.txt"));
	cr_assert_eq(cmd_run(FINTRACE " compare " FIXED " " LEAK " > '%s'",
			     cmd_path("worse.txt")),
		     3);
	cr_assert(strstr(cmd_slurp("worse.txt"),
			 "10.77.0.2:9100: 0 of 24 never closed before, 8 of "
			 "24 after: worse"),
		  "%s", cmd_slurp("worse.txt"));
}

Test(compare_cmd, json_report_and_capture_agree)
{
	cr_assert_eq(cmd_run(FINTRACE " read --format json " LEAK " > '%s'",
			     cmd_path("leak.json")),
		     0);
	cr_assert_eq(cmd_run(FINTRACE " compare --format json " LEAK " " FIXED
				      " > '%s'",
			     cmd_path("a.json")),
		     0);
	cr_assert_eq(cmd_run(FINTRACE " compare --format json '%s' " FIXED
				      " > '%s'",
			     cmd_path("leak.json"), cmd_path("b.json")),
		     0);
	cr_assert(cmd_jq("a.json", ".[0].type == \"compare\" and "
				   ".[0].service == \"10.77.0.2:9100\" and "
				   ".[0].verdict == \"fixed\" and "
				   ".[0].before.never_closed == 8 and "
				   ".[-1].type == \"compare-summary\" and "
				   ".[-1].worse == false"));
	/* the same records, but for the name of BEFORE */
	cr_assert_eq(cmd_run("diff <(head -n -1 '%s') <(head -n -1 '%s')",
			     cmd_path("a.json"), cmd_path("b.json")),
		     0);
	cr_assert_eq(cmd_run(FINTRACE " compare " FIXED " '%s' > /dev/null",
			     cmd_path("leak.json")),
		     3);
}

Test(compare_cmd, another_version_is_an_input_error)
{
	cr_assert_eq(cmd_run(FINTRACE " read --format json " LEAK
				      " | sed 's/\"version\":\"[^\"]*\"/"
				      "\"version\":\"9.7.1\"/' > '%s'",
			     cmd_path("old.json")),
		     0);
	cr_assert_eq(cmd_run(FINTRACE " compare '%s' " FIXED " 2> '%s'",
			     cmd_path("old.json"), cmd_path("err")),
		     2);
	cr_assert(strstr(cmd_slurp("err"), "old.json") &&
			  strstr(cmd_slurp("err"), "9.7.1") &&
			  strstr(cmd_slurp("err"), FT_VERSION),
		  "%s", cmd_slurp("err"));
	cr_assert_eq(cmd_lines(cmd_slurp("err")), 1);
	cr_assert_eq(cmd_run("grep -v summary '%s' > '%s'",
			     cmd_path("old.json"), cmd_path("nosum.json")),
		     0);
	cr_assert_eq(cmd_run(FINTRACE " compare '%s' " FIXED " 2> '%s'",
			     cmd_path("nosum.json"), cmd_path("err")),
		     2);
	cr_assert(strstr(cmd_slurp("err"), "no summary"), "%s",
		  cmd_slurp("err"));
}

Test(compare_cmd, usage_and_unknown_input)
{
	cr_assert_eq(cmd_run(FINTRACE " compare " LEAK " 2>/dev/null"), 1);
	cr_assert_eq(cmd_run(FINTRACE " compare --format csv " LEAK " " FIXED
				      " 2>/dev/null"),
		     1);
	cr_assert_eq(cmd_run(FINTRACE " compare --evidence x " LEAK " " FIXED
				      " 2>/dev/null"),
		     1);
	cr_assert_eq(cmd_run("echo hello > '%s'", cmd_path("t")), 0);
	cr_assert_eq(cmd_run(FINTRACE " compare '%s' " FIXED " 2> '%s'",
			     cmd_path("t"), cmd_path("err")),
		     2);
	cr_assert(strstr(cmd_slurp("err"), "neither a capture"), "%s",
		  cmd_slurp("err"));
	cr_assert_eq(
		cmd_run(FINTRACE " compare /nonexistent " FIXED " 2>/dev/null"),
		2);
}

Test(compare_cmd, html_page_is_self_contained)
{
	const char *page;

	cr_assert_eq(cmd_run(FINTRACE " compare --report '%s' " LEAK " " FIXED
				      " > /dev/null",
			     cmd_path("c.html")),
		     0);
	page = cmd_slurp("c.html");
	cr_assert(strstr(page, "Content-Security-Policy"));
	cr_assert(strstr(page, "default-src 'none'"));
	cr_assert_null(strstr(page, "<script"));
	cr_assert(strstr(page, "data-verdict=\"fixed\""));
	cr_assert(strstr(page, "8 of 24 never closed before"));
}
