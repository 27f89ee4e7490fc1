/* SPDX-License-Identifier: MIT */
/*
 * Saved-capture reader: see source.h. Inputs are merged with a binary
 * min-heap on the timestamp of each input's pending frame; ties keep the
 * order of the inputs on the command line, like mergecap.
 *
 * Every input is read through a stream (stream.c: plain, gzip, zstd or
 * xz, told apart by magic bytes). pcap files of version 2.4 are read by
 * our own reader (pcapfile.c), libpcap checking their header; older ones
 * go to libpcap through a stdio cookie; pcapng files to our own reader
 * (pcapng.c), which takes interfaces of any link type and snap length and
 * reads the interface statistics. The filter is compiled once per link
 * type met.
 */
#include "capture/source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "capture/pcapfile_internal.h"
#include "capture/pcapng_internal.h"
#include "capture/stream_internal.h"

/* Link types an input may hold, each with its compiled filter. */
#define SRC_DLTS_MAX 16

struct src_filter {
	int dlt;
	struct bpf_program prog;
};

struct src_input {
	pcap_t *p;			 /* a pcap file, through libpcap */
	struct src_ng *ng;		 /* or a pcapng file */
	struct src_pf *pf;		 /* or p's file, read here (pcapfile.c) */
	const struct src_stream *stream; /* of any but a pf file, borrowed */
	struct src_stream *own;		 /* pf's stream, when not libpcap's */
	uint8_t head[SRC_PEEK];		 /* pf's file header, for libpcap */
	const char *path;
	struct src_filter filters[SRC_DLTS_MAX];
	size_t nfilters;
	int dlt;		/* of the pending frame */
	uint32_t snaplen;	/* of the pending frame's interface */
	struct pcap_pkthdr hdr; /* pending frame */
	const u_char *data;
	uint64_t pending_ns;
	uint64_t last_ns;
};

struct src_reader {
	struct src_input *in;
	size_t n;
	size_t *heap; /* indices of inputs with a pending frame */
	size_t nheap;
	long consumed; /* input whose frame was handed out last */
	struct src_stats stats;
	const char *filter; /* borrowed */
	char pending_err[FT_ERRBUF_SIZE];
};

/* "FILE: cause", without repeating the file when libpcap named it. */
static void set_err(char *err, const char *path, const char *msg)
{
	size_t n = strlen(path);
	int len;

	if (!strncmp(msg, path, n) && msg[n] == ':')
		len = snprintf(err, FT_ERRBUF_SIZE, "%s", msg);
	else
		len = snprintf(err, FT_ERRBUF_SIZE, "%s: %s",
			       strcmp(path, "-") ? path : "standard input",
			       msg);
	/* A cause cut by the buffer still reads as one: mark the cut. */
	if (len >= FT_ERRBUF_SIZE)
		memcpy(err + FT_ERRBUF_SIZE - 4, "...", 4);
}

static int heap_less(const struct src_reader *r, size_t a, size_t b)
{
	const struct src_input *x = &r->in[a], *y = &r->in[b];

	if (x->pending_ns != y->pending_ns)
		return x->pending_ns < y->pending_ns;
	return a < b;
}

static void heap_down(struct src_reader *r, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < r->nheap && heap_less(r, r->heap[l], r->heap[m]))
			m = l;
		if (l + 1 < r->nheap &&
		    heap_less(r, r->heap[l + 1], r->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t t = r->heap[i];
		r->heap[i] = r->heap[m];
		r->heap[m] = t;
		i = m;
	}
}

static void heap_up(struct src_reader *r, size_t i)
{
	while (i && heap_less(r, r->heap[i], r->heap[(i - 1) / 2])) {
		size_t p = (i - 1) / 2, t = r->heap[i];

		r->heap[i] = r->heap[p];
		r->heap[p] = t;
		i = p;
	}
}

/*
 * Read the next frame of input i. Returns 1 (pending frame set), 0 at its
 * end, -EIO with err set.
 */
static int input_dlt_filter(struct src_reader *r, struct src_input *in, int dlt,
			    uint32_t snaplen, char *err);

static int advance(struct src_reader *r, size_t i, char *err)
{
	struct src_input *in = &r->in[i];
	int rc;

	if (in->pf) {
		struct src_pf_packet fp;
		char msg[FT_ERRBUF_SIZE];

		rc = src_pf_next(in->pf, &fp, msg);
		if (rc < 0) {
			const char *cause =
				in->stream ? src_stream_error(in->stream) : "";

			/* a stream's own error (a cut gzip) says more */
			set_err(err, in->path, cause[0] ? cause : msg);
			return -EIO;
		}
		if (rc == 0)
			return 0;
		in->data = fp.data;
		in->hdr.caplen = fp.caplen;
		in->hdr.len = fp.wirelen;
		in->pending_ns = fp.wall_ns;
	} else if (in->ng) {
		struct src_ng_packet np;
		char msg[FT_ERRBUF_SIZE];

		rc = src_ng_next(in->ng, &np, msg);
		if (rc < 0) {
			set_err(err, in->path, msg);
			return -EIO;
		}
		if (rc == 0)
			return 0;
		in->data = np.data;
		in->hdr.caplen = np.caplen;
		in->hdr.len = np.wirelen;
		in->pending_ns = np.wall_ns;
		if (np.dlt != in->dlt &&
		    input_dlt_filter(r, in, np.dlt, np.snaplen, err))
			return -EIO;
		in->dlt = np.dlt;
		in->snaplen = np.snaplen;
	} else {
		struct pcap_pkthdr *hdr;

		rc = pcap_next_ex(in->p, &hdr, &in->data);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			const char *cause = src_stream_error(in->stream);

			set_err(err, in->path,
				cause[0] ? cause : pcap_geterr(in->p));
			return -EIO;
		}
		in->hdr = *hdr;
		/* Opened with nanosecond precision: tv_usec holds ns. */
		in->pending_ns = (uint64_t)hdr->ts.tv_sec * 1000000000ULL +
				 (uint64_t)hdr->ts.tv_usec;
	}
	if (in->pending_ns < in->last_ns)
		r->stats.backwards++;
	in->last_ns = in->pending_ns;
	return 1;
}

/* The compiled filter of in for link type dlt, or NULL when none. */
static struct bpf_program *input_prog(struct src_input *in, int dlt)
{
	for (size_t k = 0; k < in->nfilters; k++)
		if (in->filters[k].dlt == dlt)
			return &in->filters[k].prog;
	return NULL;
}

/*
 * Compile the filter for link type dlt of input in, once. Returns 0, or
 * -EINVAL with err set (naming the file).
 */
static int input_dlt_filter(struct src_reader *r, struct src_input *in, int dlt,
			    uint32_t snaplen, char *err)
{
	char msg[FT_ERRBUF_SIZE];
	pcap_t *dead;
	int rc = 0;

	if (!r->filter || !*r->filter || input_prog(in, dlt))
		return 0;
	if (in->nfilters == SRC_DLTS_MAX) {
		set_err(err, in->path, "too many link types to filter");
		return -EINVAL;
	}
	dead = pcap_open_dead_with_tstamp_precision(
		dlt, snaplen ? (int)(snaplen & 0x7fffffff) : 262144,
		PCAP_TSTAMP_PRECISION_NANO);
	if (!dead) {
		set_err(err, in->path, "out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(dead, &in->filters[in->nfilters].prog, r->filter, 1,
			 PCAP_NETMASK_UNKNOWN) < 0) {
		if (snprintf(msg, sizeof(msg), "filter \"%s\": %s", r->filter,
			     pcap_geterr(dead)) >= (int)sizeof(msg))
			memcpy(msg + sizeof(msg) - 4, "...", 4);
		set_err(err, in->path, msg);
		rc = -EINVAL;
	} else {
		in->filters[in->nfilters++].dlt = dlt;
	}
	pcap_close(dead);
	return rc;
}

/*
 * A pcap file of version 2.4 on stream s, whose header in->head is: its
 * records are read here (pcapfile.c), by pread() from a plain file on
 * disk, else from s; libpcap checks a copy of the header (not the
 * stream, which stays ours) and gives the link type and snap length.
 */
static int open_pcap_here(struct src_input *in, struct src_stream *s,
			  char *ebuf, char *err)
{
	uint8_t skip[SRC_PEEK];
	FILE *hf;

	in->own = s;
	hf = fmemopen(in->head, sizeof(in->head), "rb");
	if (!hf) {
		set_err(err, in->path, "out of memory");
		return -ENOMEM;
	}
	in->p = pcap_fopen_offline_with_tstamp_precision(
		hf, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!in->p) {
		set_err(err, in->path, ebuf);
		fclose(hf);
		return -EINVAL;
	}
	in->dlt = pcap_datalink(in->p);
	in->snaplen = (uint32_t)pcap_snapshot(in->p);
	if (src_stream_codec(s) == SRC_CODEC_NONE && strcmp(in->path, "-"))
		in->pf = src_pf_open(in->path, in->snaplen);
	if (in->pf) {
		/* read by its own descriptor: one per input, not two */
		src_stream_free(s);
		in->own = NULL;
		in->stream = NULL;
		return 0;
	}
	/* past the header, which the peek put back */
	if (src_stream_read(s, skip, sizeof(skip)) != (long)sizeof(skip)) {
		set_err(err, in->path, src_stream_error(s));
		return -EIO;
	}
	in->pf = src_pf_open_stream(s, in->head, in->snaplen);
	if (!in->pf) {
		set_err(err, in->path, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int open_one(struct src_input *in, const char *path, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE > FT_ERRBUF_SIZE ? PCAP_ERRBUF_SIZE
						    : FT_ERRBUF_SIZE] = "";
	struct src_stream *s;
	uint8_t head[SRC_PEEK]; /* a pcap file header, or less of a file */
	uint32_t m = 0;
	size_t got = 0;
	long k = 1;
	FILE *fp;

	in->path = path;
	s = src_stream_open(path, ebuf);
	if (!s) {
		set_err(err, path, ebuf);
		return -errno;
	}
	while (got < sizeof(head) && k > 0) {
		k = src_stream_read(s, head + got, sizeof(head) - got);
		if (k < 0) {
			set_err(err, path, src_stream_error(s));
			src_stream_free(s);
			return -EIO;
		}
		got += (size_t)k;
	}
	src_stream_unread(s, head, got);
	if (got >= sizeof(m))
		memcpy(&m, head, sizeof(m));
	in->stream = s;
	if (got == sizeof(head) && src_pf_header_ok(head)) {
		memcpy(in->head, head, sizeof(head));
		return open_pcap_here(in, s, ebuf, err);
	}
	if (m == SRC_NG_MAGIC) {
		in->ng = src_ng_open(s, ebuf);
		if (!in->ng) {
			set_err(err, path, ebuf);
			return -EINVAL;
		}
		in->dlt = src_ng_first_link(in->ng, &in->snaplen);
		return 0;
	}
	fp = src_stream_fopen(s);
	if (!fp) {
		src_stream_free(s);
		set_err(err, path, "out of memory");
		return -ENOMEM;
	}
	in->p = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!in->p) {
		const char *cause = src_stream_error(s);

		set_err(err, path, cause[0] ? cause : ebuf);
		fclose(fp);
		return -EINVAL;
	}
	in->dlt = pcap_datalink(in->p);
	in->snaplen = (uint32_t)pcap_snapshot(in->p);
	return 0;
}

int src_set_filter(struct src_reader *r, const char *filter, char *err)
{
	err[0] = '\0';
	r->filter = filter;
	for (size_t i = 0; i < r->n; i++) {
		int rc = input_dlt_filter(r, &r->in[i], r->in[i].dlt,
					  r->in[i].snaplen, err);

		if (rc)
			return rc;
	}
	return 0;
}

struct src_reader *src_open_files(const char *const *paths, size_t n,
				  const char *filter, char *err)
{
	struct src_reader *r = NULL;
	int rc = -EINVAL, stdin_seen = 0;

	err[0] = '\0';
	if (!n) {
		snprintf(err, FT_ERRBUF_SIZE, "no input file");
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->in = calloc(n, sizeof(*r->in));
	r->heap = calloc(n, sizeof(*r->heap));
	if (!r->in || !r->heap)
		goto nomem;
	r->n = n;
	r->consumed = -1;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(paths[i], "-") && stdin_seen++) {
			snprintf(err, FT_ERRBUF_SIZE,
				 "standard input given twice");
			goto out;
		}
		rc = open_one(&r->in[i], paths[i], err);
		if (rc == -EMFILE) {
			struct rlimit rl;

			/* a ring of more files than this process may open */
			if (!getrlimit(RLIMIT_NOFILE, &rl))
				snprintf(err, FT_ERRBUF_SIZE,
					 "%s: too many open files: %zu inputs "
					 "are read at once, and at most %llu "
					 "descriptors are allowed (ulimit -n)",
					 paths[i], n,
					 (unsigned long long)rl.rlim_cur);
		}
		if (rc)
			goto out;
	}
	/* Prime the merge; a damaged first frame is reported by src_next. */
	for (size_t i = 0; i < n; i++) {
		rc = advance(r, i, r->pending_err);
		if (rc < 0)
			break;
		if (rc == 1) {
			r->heap[r->nheap++] = i;
			heap_up(r, r->nheap - 1);
		}
	}
	/* The link types are known now, so a bad filter fails the open. */
	rc = src_set_filter(r, filter, err);
	if (rc)
		goto out;
	return r;
nomem:
	snprintf(err, FT_ERRBUF_SIZE, "out of memory");
	rc = -ENOMEM;
out:
	src_free(r);
	errno = -rc;
	return NULL;
}

int src_next(struct src_reader *r, struct src_packet *pkt, char *err)
{
	for (;;) {
		struct bpf_program *prog;
		struct src_input *in;
		size_t i;

		if (r->pending_err[0]) {
			snprintf(err, FT_ERRBUF_SIZE, "%s", r->pending_err);
			return -EIO;
		}
		if (r->consumed >= 0) {
			int rc;

			i = (size_t)r->consumed;
			r->consumed = -1;
			rc = advance(r, i, err);
			if (rc < 0) {
				snprintf(r->pending_err, FT_ERRBUF_SIZE, "%s",
					 err);
				return rc;
			}
			/* heap[0] is input i: refresh it, or drop it. */
			if (rc == 0)
				r->heap[0] = r->heap[--r->nheap];
			if (r->nheap)
				heap_down(r, 0);
		}
		if (!r->nheap)
			return 0;
		i = r->heap[0];
		in = &r->in[i];
		r->consumed = (long)i;
		r->stats.frames++;
		if (in->pending_ns > r->stats.last_ns)
			r->stats.last_ns = in->pending_ns;
		prog = input_prog(in, in->dlt);
		if (prog && !pcap_offline_filter(prog, &in->hdr, in->data)) {
			r->stats.filtered++;
			continue;
		}
		pkt->data = in->data;
		pkt->caplen = in->hdr.caplen;
		pkt->wirelen = in->hdr.len;
		pkt->wall_ns = in->pending_ns;
		pkt->frame = r->stats.frames;
		pkt->dlt = in->dlt;
		pkt->input = (unsigned)i;
		return 1;
	}
}

double src_progress(const struct src_reader *r)
{
	uint64_t total = 0, done = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct src_stream *st = r->in[i].stream;

		if (r->in[i].pf && src_pf_size(r->in[i].pf)) {
			total += src_pf_size(r->in[i].pf);
			done += src_pf_pos(r->in[i].pf);
			continue;
		}
		if (!st || !src_stream_size(st))
			return -1;
		total += src_stream_size(st);
		done += src_stream_pos(st);
	}
	return total ? (double)done / (double)total : -1;
}

uint64_t src_capture_end_ns(const struct src_reader *r)
{
	uint64_t end = 0;

	for (size_t i = 0; i < r->n; i++) {
		uint64_t e = r->in[i].ng ? src_ng_end_ns(r->in[i].ng) : 0;

		if (!e)
			return 0;
		if (e > end)
			end = e;
	}
	return end;
}

const struct src_stats *src_get_stats(const struct src_reader *r)
{
	return &r->stats;
}

void src_free(struct src_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->in && i < r->n; i++) {
		struct src_input *in = &r->in[i];

		for (size_t k = 0; k < in->nfilters; k++)
			pcap_freecode(&in->filters[k].prog);
		src_pf_free(in->pf);
		if (in->p)
			pcap_close(in->p); /* closes its stream too */
		else if (in->ng)
			src_ng_free(in->ng);
		src_stream_free(in->own);
	}
	free(r->in);
	free(r->heap);
	free(r);
}
