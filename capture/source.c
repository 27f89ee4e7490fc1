/* SPDX-License-Identifier: MIT */
/*
 * Saved-capture reader: see source.h. Inputs are merged with a binary
 * min-heap on the timestamp of each input's pending frame; ties keep the
 * order of the inputs on the command line, like mergecap.
 */
#include "capture/source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct src_input {
	pcap_t *p;
	const char *path;
	struct bpf_program prog;
	int has_prog;
	int dlt;
	uint64_t size;           /* bytes, 0 when unknown (a pipe) */
	struct pcap_pkthdr *hdr; /* pending frame */
	const u_char *data;
	uint64_t pending_ns;
	uint64_t last_ns;
};

struct src_reader {
	struct src_input *in;
	size_t n;
	size_t *heap;            /* indices of inputs with a pending frame */
	size_t nheap;
	long consumed;           /* input whose frame was handed out last */
	struct src_stats stats;
	char pending_err[FT_ERRBUF_SIZE];
};

/* "FILE: cause", without repeating the file when libpcap named it. */
static void set_err(char *err, const char *path, const char *msg)
{
	size_t n = strlen(path);

	if (!strncmp(msg, path, n) && msg[n] == ':')
		snprintf(err, FT_ERRBUF_SIZE, "%s", msg);
	else
		snprintf(err, FT_ERRBUF_SIZE, "%s: %s",
			 strcmp(path, "-") ? path : "standard input", msg);
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
static int advance(struct src_reader *r, size_t i, char *err)
{
	struct src_input *in = &r->in[i];
	int rc = pcap_next_ex(in->p, &in->hdr, &in->data);

	if (rc == 1) {
		/* Opened with nanosecond precision: tv_usec holds ns. */
		in->pending_ns = (uint64_t)in->hdr->ts.tv_sec * 1000000000ULL +
				 (uint64_t)in->hdr->ts.tv_usec;
		if (in->pending_ns < in->last_ns)
			r->stats.backwards++;
		in->last_ns = in->pending_ns;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	set_err(err, in->path, pcap_geterr(in->p));
	return -EIO;
}

static int open_one(struct src_input *in, const char *path,
		    const char *filter, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct stat st;
	FILE *fp;

	in->path = path;
	in->p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!in->p) {
		set_err(err, path, ebuf);
		return -EINVAL;
	}
	in->dlt = pcap_datalink(in->p);
	fp = pcap_file(in->p);
	if (fp && !fstat(fileno(fp), &st) && S_ISREG(st.st_mode))
		in->size = (uint64_t)st.st_size;
	if (filter && *filter) {
		if (pcap_compile(in->p, &in->prog, filter, 1,
				 PCAP_NETMASK_UNKNOWN) < 0) {
			char msg[FT_ERRBUF_SIZE];

			snprintf(msg, sizeof(msg), "filter \"%s\": %s", filter,
				 pcap_geterr(in->p));
			set_err(err, path, msg);
			return -EINVAL;
		}
		in->has_prog = 1;
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
		rc = open_one(&r->in[i], paths[i], filter, err);
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
		if (in->has_prog &&
		    !pcap_offline_filter(&in->prog, in->hdr, in->data)) {
			r->stats.filtered++;
			continue;
		}
		pkt->data = in->data;
		pkt->caplen = in->hdr->caplen;
		pkt->wirelen = in->hdr->len;
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
		FILE *fp = r->in[i].p ? pcap_file(r->in[i].p) : NULL;
		long pos;

		if (!r->in[i].size || !fp)
			return -1;
		pos = ftell(fp);
		total += r->in[i].size;
		done += pos > 0 ? (uint64_t)pos : 0;
	}
	return total ? (double)done / (double)total : -1;
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
		if (r->in[i].has_prog)
			pcap_freecode(&r->in[i].prog);
		if (r->in[i].p)
			pcap_close(r->in[i].p);
	}
	free(r->in);
	free(r->heap);
	free(r);
}
