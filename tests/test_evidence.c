/* SPDX-License-Identifier: MIT */
/*
 * Evidence captures (--evidence): for every scenario capture, the file
 * holds exactly the packets of the flagged flows (same bytes, same
 * timestamps, same order), is created 0600, and fintrace reads the same
 * verdicts from it; standard input (buffered) gives the same packets as
 * two passes over a file; the buffer bound is counted and reported; write
 * errors are one line; several link types make one file each. The module
 * itself is also driven by hand: queue order, cuts, capture file headers.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/evidence.h"
#include "helpers.h"
#include "testutil.h"

#define SEC 1000000000ULL

TU_SUITE(evidence);

/* ---- what the evidence must hold, computed here independently ---- */

struct flagged {
	struct flow_key key;
	uint64_t first, last;
};

struct flagset {
	struct flagged *v;
	size_t n, cap;
	unsigned mask;
};

static void flag_done(void *ctx, const struct flow_record *r)
{
	struct flagset *s = ctx;

	if (!(s->mask & (1u << r->res.verdict)))
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		cr_assert_not_null(s->v);
	}
	s->v[s->n++] = (struct flagged){*r->key, r->td->first_frame,
					r->td->last_frame};
}

/* One packet as written: time, lengths, link type, hash of the bytes. */
struct pkt_sig {
	uint64_t wall_ns;
	uint32_t caplen, wirelen;
	int dlt;
	uint64_t hash;
};

struct sigs {
	struct pkt_sig *v;
	size_t n, cap;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static void sig_add(struct sigs *s, const struct src_packet *p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		cr_assert_not_null(s->v);
	}
	s->v[s->n++] = (struct pkt_sig){p->wall_ns, p->caplen, p->wirelen,
					p->dlt, fnv(p->data, p->caplen)};
}

/* Every packet of path, in file order. */
static void read_sigs(const char *path, struct sigs *s)
{
	const char *paths[1] = {path};
	char err[FT_ERRBUF_SIZE];
	struct src_reader *r = src_open_files(paths, 1, NULL, err);
	struct src_packet p;
	int rc;

	memset(s, 0, sizeof(*s));
	cr_assert_not_null(r, "%s", err);
	while ((rc = src_next(r, &p, err)) == 1)
		sig_add(s, &p);
	cr_assert_eq(rc, 0, "%s", err);
	src_free(r);
}

/* The packets of path's flows with a verdict in mask, in input order. */
static void expected_sigs(const char *path, unsigned mask, struct sigs *s)
{
	const char *paths[1] = {path};
	struct flow_config cfg = {.linger_ns = 5 * SEC,
				  .grace_ns = 5 * SEC,
				  .idle_ns = 300 * SEC};
	struct flagset fs = {.mask = mask};
	struct flow_hooks hooks = {.done = flag_done};
	struct flow_table *t = flow_table_new(&cfg, &hooks, &fs);
	char err[FT_ERRBUF_SIZE];
	struct src_reader *r;
	struct src_packet p;
	uint64_t last = 0;

	r = src_open_files(paths, 1, NULL, err);
	cr_assert_not_null(r, "%s", err);
	while (src_next(r, &p, err) == 1) {
		struct flow_seg seg;

		if (pkt_decode(p.dlt, p.data, p.caplen, p.wirelen, &seg) !=
		    PKT_OK)
			continue;
		seg.wall_ns = p.wall_ns;
		seg.frame = p.frame;
		last = p.wall_ns > last ? p.wall_ns : last;
		flow_table_add(t, &seg);
	}
	flow_table_flush(t, last);
	flow_table_free(t);
	src_free(r);

	memset(s, 0, sizeof(*s));
	r = src_open_files(paths, 1, NULL, err);
	cr_assert_not_null(r, "%s", err);
	while (src_next(r, &p, err) == 1) {
		struct flow_seg seg;
		struct flow_key k;

		if (pkt_decode(p.dlt, p.data, p.caplen, p.wirelen, &seg) !=
		    PKT_OK)
			continue;
		flow_key_from_seg(&seg, &k);
		for (size_t i = 0; i < fs.n; i++)
			if (!memcmp(&k, &fs.v[i].key, sizeof(k)) &&
			    p.frame >= fs.v[i].first && p.frame <= fs.v[i].last)
				sig_add(s, &p);
	}
	src_free(r);
	free(fs.v);
}

static void assert_same_sigs(const struct sigs *got, const struct sigs *want,
			     const char *what)
{
	cr_assert_eq(got->n, want->n, "%s: %zu packets, expected %zu", what,
		     got->n, want->n);
	for (size_t i = 0; i < got->n; i++) {
		const struct pkt_sig *a = &got->v[i], *b = &want->v[i];

		cr_assert(a->wall_ns == b->wall_ns && a->caplen == b->caplen &&
				  a->wirelen == b->wirelen &&
				  a->dlt == b->dlt && a->hash == b->hash,
			  "%s: packet %zu differs (time %llu vs %llu)", what,
			  i + 1, (unsigned long long)a->wall_ns,
			  (unsigned long long)b->wall_ns);
	}
}

static int flagged_verdict(enum vd_verdict v)
{
	return v == VD_NEVER_CLOSED || v == VD_LATE_CLOSE;
}

ParameterizedTestParameters(evidence, scenario)
{
	size_t n;
	struct helper_name *names = helper_scenarios(&n, cr_malloc);

	return cr_make_param_array(struct helper_name, names, n);
}

/*
 * The evidence of each scenario holds exactly the packets of its flagged
 * flows, and reading it gives the same verdicts for those flows.
 */
ParameterizedTest(struct helper_name *sc, evidence, scenario, .init = tu_setup,
		  .fini = tu_teardown)
{
	char in[512], ev[512], err[FT_ERRBUF_SIZE];
	struct sigs got, want;
	struct got orig, back;
	struct stat st;
	size_t k = 0;

	cr_assert_eq(helper_capture_of(sc->name, in, sizeof(in)), 0);
	snprintf(ev, sizeof(ev), "%s/%s.evidence.pcap", tmpdir, sc->name);
	cr_assert_eq(run("%s read --format json '%s' --evidence '%s' "
			 "> %s/out.json",
			 FINTRACE, in, ev, tmpdir),
		     0, "%s", sc->name);
	cr_assert_eq(stat(ev, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "%s: mode %o", sc->name,
		     st.st_mode & 0777);

	read_sigs(ev, &got);
	expected_sigs(in, EV_DEFAULT_VERDICTS, &want);
	assert_same_sigs(&got, &want, sc->name);

	/* Same verdicts, packet counts and roles for the flagged flows. */
	cr_assert_eq(helper_analyse(in, &orig, err), 0, "%s", err);
	memset(&back, 0, sizeof(back));
	/* (helper_analyse() hands qsort a NULL array when no flow is found) */
	if (got.n)
		cr_assert_eq(helper_analyse_until(ev, &back, orig.last_ns, err), 0,
			     "%s", err);
	for (size_t i = 0; i < orig.n; i++) {
		const struct got_flow *o = &orig.v[i], *b;

		if (!flagged_verdict(o->verdict))
			continue;
		cr_assert_lt(k, back.n, "%s: flow %s missing", sc->name,
			     o->client);
		b = &back.v[k++];
		cr_expect_str_eq(b->client, o->client, "%s", sc->name);
		cr_expect_str_eq(b->server, o->server, "%s", sc->name);
		cr_expect_eq(b->verdict, o->verdict, "%s: %s: %s, was %s",
			     sc->name, o->client, vd_name(b->verdict),
			     vd_name(o->verdict));
		cr_expect_eq(b->packets, o->packets, "%s: %s packets", sc->name,
			     o->client);
		cr_expect_str_eq(b->active, o->active, "%s", sc->name);
		if (o->verdict == VD_LATE_CLOSE)
			cr_expect_eq(b->close_wait_ns, o->close_wait_ns,
				     "%s: close-wait", sc->name);
	}
	cr_expect_eq(k, back.n, "%s: %zu flows in the evidence, %zu flagged",
		     sc->name, back.n, k);
	/* The summary says what it holds. */
	cr_expect_eq(run("jq -e -s --argjson n %zu --argjson p %zu "
			 "'last.evidence | .flows == $n and .packets == $p "
			 "and .cut_flows == 0 and .buffer == null and "
			 ".error == null' %s/out.json > /dev/null",
			 k, want.n, tmpdir),
		     0, "%s: summary evidence", sc->name);
	helper_got_free(&orig);
	helper_got_free(&back);
	free(got.v);
	free(want.v);
}

Test(evidence, stdin_gives_the_same_packets)
{
	const char *demo = PCAP_DIR "/demo-print-server.pcap";
	char a[512], b[512];
	struct sigs x, y;

	snprintf(a, sizeof(a), "%s/file.pcap", tmpdir);
	snprintf(b, sizeof(b), "%s/stdin.pcap", tmpdir);
	cr_assert_eq(
		run("%s read %s --evidence %s > /dev/null", FINTRACE, demo, a),
		0);
	cr_assert_eq(run("cat %s | %s read - --evidence %s > /dev/null", demo,
			 FINTRACE, b),
		     0);
	read_sigs(a, &x);
	read_sigs(b, &y);
	cr_assert_gt(x.n, 100);
	assert_same_sigs(&y, &x, "standard input");
	free(x.v);
	free(y.v);
}

Test(evidence, buffer_bound_is_counted_and_said)
{
	const char *demo = PCAP_DIR "/demo-print-server.pcap";
	char e[512], err[FT_ERRBUF_SIZE];
	struct got back, orig;

	snprintf(e, sizeof(e), "%s/cut.pcap", tmpdir);
	cr_assert_eq(run("cat %s | %s read - --evidence %s "
			 "--evidence-buffer 40k --format json > %s/o.json",
			 demo, FINTRACE, e, tmpdir),
		     0);
	cr_assert_eq(run("jq -e -s 'last.evidence | .cut_flows > 0 and "
			 ".cut_packets > 0 and .flows + .cut_flows == 35 and "
			 ".buffer == 40960' %s/o.json > /dev/null",
			 tmpdir),
		     0, "%s", slurp("o.json"));
	cr_assert_eq(run("cat %s | %s read - --evidence %s "
			 "--evidence-buffer 40k > %s/o.txt",
			 demo, FINTRACE, e, tmpdir),
		     0);
	cr_assert(strstr(slurp("o.txt"), "evidence cut: "), "%s",
		  slurp("o.txt"));
	/* What was kept is whole: every flow in it is still flagged when
	 * the observation ends where the demo's does. */
	cr_assert_eq(helper_analyse(demo, &orig, err), 0, "%s", err);
	cr_assert_eq(helper_analyse_until(e, &back, orig.last_ns, err), 0,
		     "%s", err);
	helper_got_free(&orig);
	cr_assert_gt(back.n, 0);
	for (size_t i = 0; i < back.n; i++)
		cr_expect(flagged_verdict(back.v[i].verdict), "%s: %s",
			  back.v[i].client, vd_name(back.v[i].verdict));
	helper_got_free(&back);
}

Test(evidence, write_error_is_one_line_exit_2)
{
	cr_assert_eq(run("%s read %s/demo-print-server.pcap --evidence "
			 "/dev/full > %s/out 2> %s/err",
			 FINTRACE, PCAP_DIR, tmpdir, tmpdir),
		     2);
	cr_assert_eq(lines(slurp("err")), 1, "%s", slurp("err"));
	cr_assert(strstr(slurp("err"), "/dev/full"));
	cr_assert(strstr(slurp("err"), "No space left"));
	/* The report itself is still written and says so. */
	cr_assert(strstr(slurp("out"), "evidence not complete"), "%s",
		  slurp("out"));
	cr_assert_eq(run("%s read %s/refused.pcap --evidence "
			 "/nonexistent/dir/e.pcap > /dev/null 2> %s/err",
			 FINTRACE, PCAP_DIR, tmpdir),
		     2);
	cr_assert_eq(lines(slurp("err")), 1);
	cr_assert(strstr(slurp("err"), "/nonexistent/dir/e.pcap"));
	/* Standard input: the error surfaces at the first kept flow. */
	cr_assert_eq(run("cat %s/demo-print-server.pcap | %s read - "
			 "--evidence /dev/full > /dev/null 2> %s/err",
			 PCAP_DIR, FINTRACE, tmpdir),
		     2);
	cr_assert_eq(lines(slurp("err")), 1, "%s", slurp("err"));
	cr_assert(strstr(slurp("err"), "/dev/full"));
}

Test(evidence, never_overwrites_an_input)
{
	cr_assert_eq(run("cp %s/refused.pcap %s/in.pcap && %s read %s/in.pcap "
			 "--evidence %s/in.pcap > /dev/null 2> %s/err",
			 PCAP_DIR, tmpdir, FINTRACE, tmpdir, tmpdir, tmpdir),
		     1);
	cr_assert(strstr(slurp("err"), "is one of the inputs"));
	cr_assert_eq(run("cmp -s %s/refused.pcap %s/in.pcap", PCAP_DIR, tmpdir),
		     0);
}

Test(evidence, existing_file_becomes_0600)
{
	char e[512];
	struct stat st;

	snprintf(e, sizeof(e), "%s/old.pcap", tmpdir);
	cr_assert_eq(run("touch %s && chmod 644 %s", e, e), 0);
	cr_assert_eq(run("%s read %s/server-never-closes.pcap --evidence %s "
			 "> /dev/null",
			 FINTRACE, PCAP_DIR, e),
		     0);
	cr_assert_eq(stat(e, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(evidence, resolution_follows_the_input)
{
	char e[512];
	uint32_t magic = 0;
	FILE *f;

	/* pcapng with nanosecond timestamps: a nanosecond pcap. */
	snprintf(e, sizeof(e), "%s/ns.pcap", tmpdir);
	cr_assert_eq(run("%s read %s/pcapng-leak.pcapng --evidence %s "
			 "> /dev/null",
			 FINTRACE, PCAP_DIR, e),
		     0);
	f = fopen(e, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(&magic, 4, 1, f), 1);
	fclose(f);
	cr_expect_eq(magic, 0xa1b23c4d, "magic %08x", magic);
	/* microsecond pcap: microsecond pcap */
	snprintf(e, sizeof(e), "%s/us.pcap", tmpdir);
	cr_assert_eq(run("%s read %s/server-never-closes.pcap --evidence %s "
			 "> /dev/null",
			 FINTRACE, PCAP_DIR, e),
		     0);
	f = fopen(e, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(&magic, 4, 1, f), 1);
	fclose(f);
	cr_expect_eq(magic, 0xa1b2c3d4, "magic %08x", magic);
}

Test(evidence, several_link_types_one_file_each)
{
	char e[512], e2[512], err[FT_ERRBUF_SIZE];
	struct got back, orig;
	struct stat st;
	uint64_t end;

	snprintf(e, sizeof(e), "%s/multi.pcap", tmpdir);
	snprintf(e2, sizeof(e2), "%s/multi.linux_sll2.pcap", tmpdir);
	cr_assert_eq(run("%s read %s/ipv6-leak.pcap %s/cooked-any.pcap "
			 "--evidence %s --format json > %s/o.json",
			 FINTRACE, PCAP_DIR, PCAP_DIR, e, tmpdir),
		     0);
	cr_assert_eq(run("jq -e -s --arg a %s --arg b %s 'last.evidence | "
			 ".files == [$a, $b] and .file == $a and .flows == 2' "
			 "%s/o.json > /dev/null",
			 e, e2, tmpdir),
		     0, "%s", slurp("o.json"));
	cr_assert_eq(stat(e2, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	/* Wireshark's tools read them. */
	cr_assert_eq(
		run("capinfos %s %s > %s/cap.txt 2>/dev/null", e, e2, tmpdir),
		0);
	cr_assert(strstr(slurp("cap.txt"), "Ethernet"), "%s", slurp("cap.txt"));
	cr_assert(strstr(slurp("cap.txt"), "Linux cooked-mode capture v2"),
		  "%s", slurp("cap.txt"));
	/* fintrace reads each, and both merged, with the same verdicts
	 * when the observation ends where the inputs' does. */
	cr_assert_eq(helper_analyse(PCAP_DIR "/ipv6-leak.pcap", &orig, err), 0,
		     "%s", err);
	end = orig.last_ns;
	helper_got_free(&orig);
	cr_assert_eq(helper_analyse(PCAP_DIR "/cooked-any.pcap", &orig, err),
		     0, "%s", err);
	if (orig.last_ns > end)
		end = orig.last_ns;
	helper_got_free(&orig);
	cr_assert_eq(helper_analyse_until(e, &back, end, err), 0, "%s", err);
	cr_assert_eq(back.n, 1);
	cr_expect_eq(back.v[0].verdict, VD_NEVER_CLOSED);
	helper_got_free(&back);
	cr_assert_eq(helper_analyse_until(e2, &back, end, err), 0, "%s", err);
	cr_assert_eq(back.n, 1);
	cr_expect_eq(back.v[0].verdict, VD_NEVER_CLOSED);
	helper_got_free(&back);
	/* (evidence files end with their last flagged packet, so any wait
	 * counts here: --linger 0) */
	cr_assert_eq(run("%s read --linger 0 --format json %s %s | jq -e -s "
			 "'last.verdicts[\"never-closed\"] == 2 and "
			 "last.flows == 2' > /dev/null",
			 FINTRACE, e, e2),
		     0);
}

Test(evidence, verdicts_option_chooses_the_flows)
{
	char e[512], err[FT_ERRBUF_SIZE];
	struct got back;

	snprintf(e, sizeof(e), "%s/reset.pcap", tmpdir);
	cr_assert_eq(run("%s read %s/abort-linger0.pcap %s/refused.pcap "
			 "--evidence-verdicts reset --evidence %s > /dev/null",
			 FINTRACE, PCAP_DIR, PCAP_DIR, e),
		     0);
	cr_assert_eq(helper_analyse(e, &back, err), 0, "%s", err);
	cr_assert_eq(back.n, 1);
	cr_expect_eq(back.v[0].verdict, VD_RESET);
	helper_got_free(&back);
	cr_assert_eq(run("%s read %s/refused.pcap --evidence-verdicts bogus "
			 "--evidence %s 2> /dev/null",
			 FINTRACE, PCAP_DIR, e),
		     1);
}

/* ---- the module by hand ---- */

static struct ev *open_stream(const char *name, uint64_t bound)
{
	char path[512], err[FT_ERRBUF_SIZE];
	struct ev_config c = {
		.path = path,
		.verdicts = EV_DEFAULT_VERDICTS,
		.buffer_bytes = bound,
		.nsec = 1,
		.streaming = 1,
	};
	struct ev *e;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	e = ev_open(&c, err);
	cr_assert_not_null(e, "%s", err);
	return e;
}

static void feed(struct ev *e, uint64_t id, uint64_t t, uint8_t tag)
{
	uint8_t data[60] = {0};
	struct ev_frame f = {.data = data,
			     .caplen = sizeof(data),
			     .wirelen = sizeof(data),
			     .wall_ns = t,
			     .frame = t,
			     .dlt = 1};
	char err[FT_ERRBUF_SIZE];

	data[0] = tag;
	cr_assert_eq(ev_packet(e, id, &f, err), 0, "%s", err);
}

Test(evidence, queue_keeps_capture_order)
{
	struct ev *e = open_stream("q.pcap", 1 << 20);
	char err[FT_ERRBUF_SIZE], path[512];
	struct sigs s;

	/* Flows 1 and 2 interleave; 2 is decided (kept) first, 3 dropped. */
	feed(e, 1, 1 * SEC, 1);
	feed(e, 2, 2 * SEC, 2);
	feed(e, 3, 3 * SEC, 3);
	feed(e, 1, 4 * SEC, 1);
	feed(e, 2, 5 * SEC, 2);
	cr_assert_eq(ev_flow_done(e, 2, VD_NEVER_CLOSED, err), 0);
	cr_assert_eq(ev_flow_done(e, 3, VD_CLEAN, err), 0);
	/* nothing written yet: flow 1 is undecided at the head */
	cr_assert_eq(ev_get_stats(e)->packets, 0);
	cr_assert_eq(ev_flow_done(e, 1, VD_LATE_CLOSE, err), 0);
	cr_assert_eq(ev_get_stats(e)->packets, 4);
	cr_assert_eq(ev_finish(e, err), 0, "%s", err);
	cr_assert_eq(ev_get_stats(e)->flows, 2);
	ev_free(e);
	snprintf(path, sizeof(path), "%s/q.pcap", tmpdir);
	read_sigs(path, &s);
	cr_assert_eq(s.n, 4);
	for (size_t i = 1; i < s.n; i++)
		cr_assert_lt(s.v[i - 1].wall_ns, s.v[i].wall_ns);
	free(s.v);
}

Test(evidence, queue_cuts_the_biggest_undecided_flow)
{
	/* Room for about three packets. */
	struct ev *e = open_stream("cut.pcap", 3 * 150);
	char err[FT_ERRBUF_SIZE];

	feed(e, 1, 1 * SEC, 1); /* a leak: one packet, decided last */
	feed(e, 2, 2 * SEC, 2); /* a transfer */
	feed(e, 2, 3 * SEC, 2);
	feed(e, 2, 4 * SEC, 2); /* over: flow 2, the biggest, is cut */
	feed(e, 2, 5 * SEC, 2); /* ignored: flow 2 is cut */
	cr_assert_eq(ev_flow_done(e, 2, VD_NEVER_CLOSED, err), 0);
	cr_assert_eq(ev_flow_done(e, 1, VD_NEVER_CLOSED, err), 0);
	cr_assert_eq(ev_finish(e, err), 0, "%s", err);
	cr_expect_eq(ev_get_stats(e)->cut_flows, 1);
	cr_expect_eq(ev_get_stats(e)->cut_packets, 4);
	cr_expect_eq(ev_get_stats(e)->flows, 1);
	cr_expect_eq(ev_get_stats(e)->packets, 1);
	ev_free(e);
}

Test(evidence, capinfo_reads_pcapng_strings)
{
	struct ev_capinfo ci;

	cr_assert_eq(ev_capinfo_read(PCAP_DIR "/pcapng-leak.pcapng", &ci), 0);
	cr_expect_str_eq(ci.format, "pcapng");
	cr_expect_eq(ci.nsec, 1);
	cr_assert_eq(ev_capinfo_read(PCAP_DIR "/refused.pcap", &ci), 0);
	cr_expect_str_eq(ci.format, "pcap");
	cr_expect_eq(ci.nsec, 0);
	cr_expect_lt(ev_capinfo_read(SRC_DIR "/README.md", &ci), 0);
	cr_expect_lt(ev_capinfo_read("-", &ci), 0);
}
