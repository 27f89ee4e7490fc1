/* SPDX-License-Identifier: MIT */
/*
 * Test helpers: run a capture through the reader, decoder and flow table
 * in-process and collect one plain record per flow, in order of first
 * packet; list the scenario captures in PCAP_DIR.
 */
#ifndef FT_TESTS_HELPERS_H
#define FT_TESTS_HELPERS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/flow.h"
#include "analysis/report.h"
#include "capture/decode.h"
#include "capture/source.h"

struct got_flow {
	uint64_t id;
	char client[64];
	char server[64];
	int roles_inferred;
	enum vd_verdict verdict;
	const char *active;   /* "client", "server" or "-" */
	const char *reset_by;
	uint64_t close_wait_ns;
	int has_close_wait;
	uint64_t packets;
	uint64_t fins;
	uint64_t rsts;
	uint64_t first_frame;
	uint64_t last_frame;
};

struct got {
	struct got_flow *v;
	size_t n;
	size_t cap;
	uint64_t frames;
	uint64_t decoded;
	uint64_t last_ns; /* the last frame's time */
};

static inline const char *helper_role(const struct td_flow *td, int idx)
{
	if (idx < 0)
		return "-";
	return idx == td->client ? "client" : "server";
}

static inline void helper_done(void *ctx, const struct flow_record *r)
{
	struct got *g = ctx;
	struct got_flow *f;
	const struct td_flow *td = r->td;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
		if (!g->v)
			abort();
	}
	f = &g->v[g->n++];
	memset(f, 0, sizeof(*f));
	f->id = r->id;
	rpt_fmt_endpoint(f->client, sizeof(f->client),
			 r->key->addr[td->client], r->key->family,
			 r->key->port[td->client]);
	rpt_fmt_endpoint(f->server, sizeof(f->server),
			 r->key->addr[1 - td->client], r->key->family,
			 r->key->port[1 - td->client]);
	f->roles_inferred = td->roles_inferred;
	f->verdict = r->res.verdict;
	f->active = helper_role(td, r->res.active);
	f->reset_by = helper_role(td, r->res.reset_by);
	f->has_close_wait = r->res.has_close_wait;
	f->close_wait_ns = r->res.close_wait_ns;
	f->packets = td->dir[0].packets + td->dir[1].packets;
	f->fins = td->dir[0].fins + td->dir[1].fins;
	f->rsts = td->dir[0].rsts + td->dir[1].rsts;
	f->first_frame = td->first_frame;
	f->last_frame = td->last_frame;
}

static inline int helper_cmp_id(const void *a, const void *b)
{
	const struct got_flow *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Analyse path with linger 5 s; returns 0, or -1 with err set. */
/*
 * Analyse path as `fintrace read` would, with the observation ending at
 * end_ns or at the last frame, whichever is later (an evidence capture
 * ends with its last flagged packet, before the capture it came from).
 */
static inline int helper_analyse_until(const char *path, struct got *g,
				       uint64_t end_ns, char *err)
{
	const char *paths[1] = {path};
	struct flow_config cfg = {
		.linger_ns = 5000000000ULL,
		.grace_ns = 5000000000ULL,
		.idle_ns = 300000000000ULL,
	};
	struct flow_hooks hooks = {.done = helper_done};
	struct src_reader *src;
	struct flow_table *t;
	struct src_packet p;
	uint64_t last = 0;
	int rc;

	memset(g, 0, sizeof(*g));
	src = src_open_files(paths, 1, NULL, err);
	if (!src)
		return -1;
	t = flow_table_new(&cfg, &hooks, g);
	while ((rc = src_next(src, &p, err)) == 1) {
		struct flow_seg seg;

		g->frames++;
		if (pkt_decode(p.dlt, p.data, p.caplen, p.wirelen, &seg) !=
		    PKT_OK)
			continue;
		g->decoded++;
		seg.wall_ns = p.wall_ns;
		seg.frame = p.frame;
		if (p.wall_ns > last)
			last = p.wall_ns;
		flow_table_add(t, &seg);
	}
	/* The true end: pcapng interface statistics, or end_ns if later. */
	g->last_ns = last;
	if (src_capture_end_ns(src) > last)
		last = src_capture_end_ns(src);
	flow_table_flush(t, last > end_ns ? last : end_ns);
	flow_table_free(t);
	src_free(src);
	if (g->n)
		qsort(g->v, g->n, sizeof(*g->v), helper_cmp_id);
	return rc < 0 ? -1 : 0;
}

static inline int helper_analyse(const char *path, struct got *g, char *err)
{
	return helper_analyse_until(path, g, 0, err);
}

static inline void helper_got_free(struct got *g)
{
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/* The capture next to NAME.expected: NAME.pcap or NAME.pcapng. */
static inline int helper_capture_of(const char *name, char *buf, size_t n)
{
	static const char *const ext[] = {".pcap", ".pcapng", ".pcap.gz"};

	for (size_t i = 0; i < 3; i++) {
		FILE *f;

		snprintf(buf, n, "%s/%s%s", PCAP_DIR, name, ext[i]);
		f = fopen(buf, "rb");
		if (f) {
			fclose(f);
			return 0;
		}
	}
	return -1;
}

struct helper_name {
	char name[64];
};

/* Scenario names (NAME of PCAP_DIR/NAME.expected), sorted; count in *n */
static inline struct helper_name *helper_scenarios(size_t *n,
						   void *(*alloc)(size_t))
{
	struct helper_name tmp[256];
	struct helper_name *out;
	struct dirent *de;
	DIR *d = opendir(PCAP_DIR);
	size_t k = 0;

	while (d && (de = readdir(d)) && k < 256) {
		size_t len = strlen(de->d_name);

		if (len > 9 && len < 64 + 9 &&
		    !strcmp(de->d_name + len - 9, ".expected")) {
			memcpy(tmp[k].name, de->d_name, len - 9);
			tmp[k].name[len - 9] = '\0';
			k++;
		}
	}
	if (d)
		closedir(d);
	qsort(tmp, k, sizeof(tmp[0]),
	      (int (*)(const void *, const void *))strcmp);
	out = alloc(k ? k * sizeof(*out) : sizeof(*out));
	memcpy(out, tmp, k * sizeof(*out));
	*n = k;
	return out;
}

#endif /* FT_TESTS_HELPERS_H */
