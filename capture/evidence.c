/* SPDX-License-Identifier: MIT */
/*
 * Evidence captures; see evidence.h. The file is written with a small
 * buffered writer over the descriptor (not stdio) so that the errno of a
 * failed write is kept for the message.
 */
#include "capture/evidence.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "capture/source.h"

#define WBUF (256 * 1024)
#define SNAPLEN 262144
#define LINKTYPE_RAW 101

/* A buffered packet of the streaming queue. */
struct ev_pkt {
	struct ev_pkt *prev; /* capture order, all flows */
	struct ev_pkt *next;
	struct ev_pkt *fnext; /* next packet of the same flow */
	struct ev_sflow *flow;
	uint64_t wall_ns;
	uint64_t frame;
	uint32_t caplen;
	uint32_t wirelen;
	int dlt;
	uint8_t data[];
};

enum { SF_UNDECIDED = 0, SF_KEEP, SF_CUT };

/* A tracked flow in streaming mode. */
struct ev_sflow {
	uint64_t id;
	struct ev_pkt *first; /* its buffered packets, in order */
	struct ev_pkt *last;
	uint64_t bytes;	      /* buffered, overhead included */
	uint64_t cut_packets; /* dropped because the buffer was full */
	uint8_t state;
	UT_hash_handle hh;
};

/* A marked flow in two-pass mode: frame ranges of one 4-tuple. */
struct ev_range {
	uint64_t first;
	uint64_t last;
	uint64_t id;
};

struct ev_mflow {
	struct flow_key key;
	struct ev_range *r;
	size_t n;
	size_t cap;
	UT_hash_handle hh;
};

/* One output file: a classic pcap of one link type. */
struct ev_out {
	char *path;
	int fd;
	int dlt; /* -1 until the header is written */
	uint8_t *buf;
	size_t nbuf;
	int werr; /* first write errno */
};

struct ev {
	struct ev_config cfg;
	struct ev_out out[EV_MAX_FILES];
	size_t nout;
	int default_dlt; /* link type of an empty file */
	char *failed;	 /* message of the first failure, or NULL */
	/* streaming */
	struct ev_sflow *sflows;
	struct ev_pkt *head;
	struct ev_pkt *tail;
	uint64_t bytes;
	/* two passes */
	struct ev_mflow *marked;
	uint64_t nmarked;
	struct ev_stats st;
};

/* ---- the writer ---- */

static int wflush(struct ev_out *o)
{
	size_t done = 0;

	while (done < o->nbuf && !o->werr) {
		ssize_t w = write(o->fd, o->buf + done, o->nbuf - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->werr = w < 0 ? errno : EIO;
		else
			done += (size_t)w;
	}
	o->nbuf = 0;
	return o->werr ? -o->werr : 0;
}

static void wput(struct ev_out *o, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n && !o->werr) {
		size_t k = WBUF - o->nbuf < n ? WBUF - o->nbuf : n;

		memcpy(o->buf + o->nbuf, s, k);
		o->nbuf += k;
		s += k;
		n -= k;
		if (o->nbuf == WBUF)
			wflush(o);
	}
}

static void wput32(struct ev_out *o, uint32_t v)
{
	wput(o, &v, 4);
}

static void wput16(struct ev_out *o, uint16_t v)
{
	wput(o, &v, 2);
}

/* The first failure of any output, "FILE: write error: cause". */
static int werror(struct ev *e, char *err)
{
	for (size_t i = 0; i < e->nout; i++) {
		struct ev_out *o = &e->out[i];

		if (!o->werr)
			continue;
		if (err)
			snprintf(err, FT_ERRBUF_SIZE, "%s: write error: %s",
				 o->path, strerror(o->werr));
		return -o->werr;
	}
	return 0;
}

/* pcap files store LINKTYPE_ values; they differ from DLT_ for raw IP. */
static uint32_t linktype_of(int dlt)
{
	return dlt == DLT_RAW ? LINKTYPE_RAW : (uint32_t)dlt;
}

static void write_header(struct ev *e, struct ev_out *o, int dlt)
{
	o->dlt = dlt;
	/* The magic tells the timestamp resolution. */
	wput32(o, e->cfg.nsec ? 0xa1b23c4d : 0xa1b2c3d4);
	wput16(o, 2);
	wput16(o, 4);
	wput32(o, 0);
	wput32(o, 0);
	wput32(o, SNAPLEN);
	wput32(o, linktype_of(dlt));
}

/* Create path (0600); a device or pipe keeps its mode. -errno on error. */
static int create(const char *path, int *fd)
{
	struct stat st;
	int en;

	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (*fd < 0)
		return -errno;
	/* An existing file keeps its mode through O_TRUNC: narrow it. */
	if (fstat(*fd, &st) ||
	    (S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600 &&
	     fchmod(*fd, 0600))) {
		en = errno;
		close(*fd);
		*fd = -1;
		return -en;
	}
	return 0;
}

/* "e.pcap" and "LINUX_SLL2" give "e.linux_sll2.pcap". */
static char *split_name(const char *base, int dlt)
{
	const char *dot = strrchr(base, '.'), *slash = strrchr(base, '/');
	const char *lname = pcap_datalink_val_to_name(dlt);
	char name[64], *out;
	size_t stem, n;

	if (lname)
		snprintf(name, sizeof(name), "%s", lname);
	else
		snprintf(name, sizeof(name), "dlt%d", dlt);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!dot || (slash && dot < slash) || dot == base ||
	    (slash && dot == slash + 1))
		dot = base + strlen(base);
	stem = (size_t)(dot - base);
	n = strlen(base) + strlen(name) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%.*s.%s%s", (int)stem, base, name, dot);
	return out;
}

/* The output for link type dlt; the first one takes the given name. */
static struct ev_out *out_for(struct ev *e, int dlt)
{
	struct ev_out *o;
	int rc;

	for (size_t i = 0; i < e->nout; i++)
		if (e->out[i].dlt == dlt)
			return &e->out[i];
	if (e->out[0].dlt < 0) {
		write_header(e, &e->out[0], dlt);
		return &e->out[0];
	}
	if (e->nout == EV_MAX_FILES)
		return NULL;
	o = &e->out[e->nout];
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->path = split_name(e->cfg.path, dlt);
	o->buf = malloc(WBUF);
	if (!o->path || !o->buf) {
		free(o->path);
		free(o->buf);
		return NULL;
	}
	e->nout++;
	rc = create(o->path, &o->fd);
	if (rc) {
		o->werr = -rc;
		return o;
	}
	write_header(e, o, dlt);
	return o;
}

static int write_frame(struct ev *e, const struct ev_frame *f)
{
	uint64_t unit = e->cfg.nsec ? 1000000000ULL : 1000000ULL;
	uint64_t ts = e->cfg.nsec ? f->wall_ns : f->wall_ns / 1000;
	uint32_t caplen = f->caplen > SNAPLEN ? SNAPLEN : f->caplen;
	struct ev_out *o = out_for(e, f->dlt);

	if (!o)
		return -ENOMEM;
	wput32(o, (uint32_t)(ts / unit));
	wput32(o, (uint32_t)(ts % unit));
	wput32(o, caplen);
	wput32(o, f->wirelen);
	wput(o, f->data, caplen);
	if (o->werr)
		return -o->werr;
	e->st.packets++;
	return 0;
}

struct ev *ev_open(const struct ev_config *cfg, char *err)
{
	struct ev *e = calloc(1, sizeof(*e));
	struct ev_out *o;
	int rc;

	if (!e)
		goto nomem;
	e->cfg = *cfg;
	e->default_dlt = DLT_EN10MB;
	o = &e->out[0];
	o->fd = -1;
	o->dlt = -1;
	o->path = strdup(cfg->path);
	o->buf = malloc(WBUF);
	e->nout = 1;
	if (!o->path || !o->buf)
		goto nomem;
	e->cfg.path = o->path;
	rc = create(o->path, &o->fd);
	if (rc) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: cannot write: %s", cfg->path,
			 strerror(-rc));
		ev_free(e);
		errno = -rc;
		return NULL;
	}
	return e;
nomem:
	snprintf(err, FT_ERRBUF_SIZE, "%s: out of memory", cfg->path);
	ev_free(e);
	errno = ENOMEM;
	return NULL;
}

int ev_wants(const struct ev *e, int verdict)
{
	return verdict >= 0 && verdict < 32 &&
	       (e->cfg.verdicts & (1u << verdict));
}

void ev_set_default_dlt(struct ev *e, int dlt)
{
	e->default_dlt = dlt;
}

size_t ev_files(const struct ev *e)
{
	return e->nout;
}

const char *ev_file_name(const struct ev *e, size_t i)
{
	return i < e->nout ? e->out[i].path : NULL;
}

/* ---- two passes ---- */

int ev_mark(struct ev *e, const struct flow_key *k, uint64_t first,
	    uint64_t last, uint64_t id, int verdict)
{
	struct ev_mflow *m;

	if (!ev_wants(e, verdict))
		return 0;
	HASH_FIND(hh, e->marked, k, sizeof(*k), m);
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		m->key = *k;
		HASH_ADD(hh, e->marked, key, sizeof(m->key), m);
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 2;
		struct ev_range *r = realloc(m->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		m->r = r;
		m->cap = cap;
	}
	m->r[m->n++] = (struct ev_range){first, last, id};
	e->nmarked++;
	return 0;
}

uint64_t ev_marked(const struct ev *e)
{
	return e->nmarked;
}

uint64_t ev_select(const struct ev *e, const struct flow_key *k, uint64_t frame)
{
	struct ev_mflow *m;

	HASH_FIND(hh, e->marked, k, sizeof(*k), m);
	if (!m)
		return 0;
	for (size_t i = 0; i < m->n; i++)
		if (frame >= m->r[i].first && frame <= m->r[i].last)
			return m->r[i].id;
	return 0;
}

int ev_write(struct ev *e, uint64_t id, const struct ev_frame *f, char *err)
{
	int rc;

	(void)id;
	rc = write_frame(e, f);
	if (rc == -ENOMEM)
		snprintf(err, FT_ERRBUF_SIZE, "%s: out of memory", e->cfg.path);
	return rc == -ENOMEM ? rc : werror(e, err);
}

/* ---- streaming ---- */

static void unlink_pkt(struct ev *e, struct ev_pkt *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		e->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		e->tail = p->prev;
	e->bytes -= sizeof(*p) + p->caplen;
	p->flow->bytes -= sizeof(*p) + p->caplen;
}

/* Free every buffered packet of flow f. */
static uint64_t drop_flow_pkts(struct ev *e, struct ev_sflow *f)
{
	uint64_t n = 0;

	while (f->first) {
		struct ev_pkt *p = f->first;

		f->first = p->fnext;
		unlink_pkt(e, p);
		free(p);
		n++;
	}
	f->last = NULL;
	return n;
}

static void forget_flow(struct ev *e, struct ev_sflow *f)
{
	HASH_DEL(e->sflows, f);
	free(f);
}

/* Write the packets at the head of the queue whose flows are kept. */
static int drain(struct ev *e)
{
	struct ev_pkt *p;
	int rc = 0;

	/* The head has no prev, so unlink_pkt() moves e->head past p before
	 * it is freed; the analyzer does not know that invariant. */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	while ((p = e->head) && p->flow->state == SF_KEEP) {
		struct ev_sflow *f = p->flow;
		struct ev_frame fr = {
			.data = p->data,
			.caplen = p->caplen,
			.wirelen = p->wirelen,
			.wall_ns = p->wall_ns,
			.frame = p->frame,
			.dlt = p->dlt,
		};

		if (!rc)
			rc = write_frame(e, &fr);
		f->first = p->fnext;
		unlink_pkt(e, p);
		free(p);
		if (!f->first) {
			/* A kept flow is finalised: nothing more comes. */
			e->st.flows++;
			forget_flow(e, f);
		}
	}
	return rc;
}

/*
 * Over the bound: cut the undecided flow that holds the most memory, and
 * the next, down to 7/8 of the bound (so that the scan is rare). Leaks
 * are small (a request, a FIN, an ACK) and wait long for their verdict;
 * long transfers are big: cutting the head of the queue instead would
 * throw away the oldest sockets in CLOSE_WAIT first.
 */
static int by_bytes_desc(const void *a, const void *b)
{
	const struct ev_sflow *x = *(struct ev_sflow *const *)a;
	const struct ev_sflow *y = *(struct ev_sflow *const *)b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

static int make_room(struct ev *e)
{
	uint64_t target = e->cfg.buffer_bytes - e->cfg.buffer_bytes / 8;
	struct ev_sflow **cand, *f, *tmp;
	size_t n = 0;
	int rc = 0;

	if (e->bytes <= e->cfg.buffer_bytes)
		return 0;
	cand = malloc(HASH_COUNT(e->sflows) * sizeof(*cand) + 1);
	if (!cand)
		return -ENOMEM;
	HASH_ITER(hh, e->sflows, f, tmp)
	{
		if (f->state == SF_UNDECIDED && f->bytes)
			cand[n++] = f;
	}
	qsort(cand, n, sizeof(*cand), by_bytes_desc);
	for (size_t i = 0; i < n && e->bytes > target && !rc; i++) {
		cand[i]->cut_packets += drop_flow_pkts(e, cand[i]);
		cand[i]->state = SF_CUT;
		rc = drain(e);
	}
	free(cand);
	return rc;
}

/* rc of a write: 0, -ENOMEM, or the first write error; message in err. */
static int status(struct ev *e, int rc, char *err)
{
	if (rc == -ENOMEM) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: out of memory", e->cfg.path);
		return rc;
	}
	return werror(e, err);
}

int ev_packet(struct ev *e, uint64_t id, const struct ev_frame *fr, char *err)
{
	struct ev_sflow *f;
	struct ev_pkt *p;

	HASH_FIND(hh, e->sflows, &id, sizeof(id), f);
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
		f->id = id;
		HASH_ADD(hh, e->sflows, id, sizeof(f->id), f);
	}
	if (f->state == SF_CUT) {
		f->cut_packets++;
		return 0;
	}
	p = malloc(sizeof(*p) + fr->caplen);
	if (!p)
		return -ENOMEM;
	p->flow = f;
	p->wall_ns = fr->wall_ns;
	p->frame = fr->frame;
	p->caplen = fr->caplen;
	p->wirelen = fr->wirelen;
	p->dlt = fr->dlt;
	memcpy(p->data, fr->data, fr->caplen);
	p->fnext = NULL;
	p->next = NULL;
	p->prev = e->tail;
	if (e->tail)
		e->tail->next = p;
	else
		e->head = p;
	e->tail = p;
	if (f->last)
		f->last->fnext = p;
	else
		f->first = p;
	f->last = p;
	f->bytes += sizeof(*p) + p->caplen;
	e->bytes += sizeof(*p) + p->caplen;
	if (e->bytes > e->st.peak_bytes)
		e->st.peak_bytes = e->bytes;
	return status(e, make_room(e), err);
}

int ev_flow_done(struct ev *e, uint64_t id, int verdict, char *err)
{
	struct ev_sflow *f;
	int keep = ev_wants(e, verdict);

	HASH_FIND(hh, e->sflows, &id, sizeof(id), f);
	if (!f)
		return 0;
	if (f->state == SF_CUT) {
		if (keep) {
			e->st.cut_flows++;
			e->st.cut_packets += f->cut_packets;
		}
		drop_flow_pkts(e, f);
		forget_flow(e, f);
		return 0;
	}
	if (!keep) {
		drop_flow_pkts(e, f);
		forget_flow(e, f);
		return 0;
	}
	f->state = SF_KEEP;
	if (!f->first) {
		forget_flow(e, f);
		return 0;
	}
	return status(e, drain(e), err);
}

/* ---- both ---- */

int ev_finish(struct ev *e, char *err)
{
	struct ev_sflow *f, *tmp;
	int rc = 0;

	if (e->cfg.streaming)
		rc = drain(e);
	/* Flows never finalised: the caller did not flush the table. */
	HASH_ITER(hh, e->sflows, f, tmp)
	{
		drop_flow_pkts(e, f);
		forget_flow(e, f);
	}
	/* Nothing kept: still a valid, empty capture. */
	if (e->out[0].dlt < 0)
		write_header(e, &e->out[0], e->default_dlt);
	if (!e->cfg.streaming)
		e->st.flows = e->nmarked;
	for (size_t i = 0; i < e->nout; i++) {
		struct ev_out *o = &e->out[i];

		if (o->fd < 0)
			continue;
		wflush(o);
		if (fsync(o->fd) && errno != EINVAL && errno != EROFS &&
		    !o->werr)
			o->werr = errno;
		if (close(o->fd) && !o->werr)
			o->werr = errno;
		o->fd = -1;
	}
	e->st.files = e->nout;
	return status(e, rc, err);
}

const struct ev_stats *ev_get_stats(const struct ev *e)
{
	return &e->st;
}

void ev_free(struct ev *e)
{
	struct ev_sflow *f, *tmp;
	struct ev_mflow *m, *mt;

	if (!e)
		return;
	HASH_ITER(hh, e->sflows, f, tmp)
	{
		drop_flow_pkts(e, f);
		forget_flow(e, f);
	}
	HASH_ITER(hh, e->marked, m, mt)
	{
		HASH_DEL(e->marked, m);
		free(m->r);
		free(m);
	}
	for (size_t i = 0; i < e->nout; i++) {
		if (e->out[i].fd >= 0)
			close(e->out[i].fd);
		free(e->out[i].buf);
		free(e->out[i].path);
	}
	free(e);
}

/* ---- capture file headers ---- */

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, int swap)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swap ? __builtin_bswap16(v) : v;
}

static void note(struct ev_capinfo *ci, const char *what, const uint8_t *s,
		 size_t len)
{
	char *d;
	size_t w;

	if (ci->nnotes >= EV_INFO_MAX)
		return;
	d = ci->notes[ci->nnotes++];
	w = (size_t)snprintf(d, sizeof(ci->notes[0]), "%s: ", what);
	if (len > sizeof(ci->notes[0]) - 1 - w)
		len = sizeof(ci->notes[0]) - 1 - w;
	for (size_t i = 0; i < len; i++)
		/* NUL would end the string early: shown as a space. */
		d[w + i] = s[i] ? (char)s[i] : ' ';
	d[w + len] = '\0';
}

/* Options of a pcapng block body from off to end. */
static void pcapng_opts(struct ev_capinfo *ci, const uint8_t *b, size_t off,
			size_t end, int swap, int idb)
{
	char ifname[128] = "", ifdesc[128] = "";

	while (off + 4 <= end) {
		uint16_t code = rd16(b + off, swap),
			 len = rd16(b + off + 2, swap);
		const uint8_t *v = b + off + 4;

		if (code == 0 || off + 4 + len > end)
			break;
		if (code == 1)
			note(ci, idb ? "interface comment" : "comment", v, len);
		else if (!idb && code == 2)
			note(ci, "hardware", v, len);
		else if (!idb && code == 3)
			note(ci, "os", v, len);
		else if (!idb && code == 4)
			note(ci, "application", v, len);
		else if (idb && code == 2)
			snprintf(ifname, sizeof(ifname), "%.*s", (int)len, v);
		else if (idb && code == 3)
			snprintf(ifdesc, sizeof(ifdesc), "%.*s", (int)len, v);
		else if (idb && code == 9 && len >= 1) {
			int res = v[0] & 0x80 ? (v[0] & 0x7f) >= 20 : v[0] > 6;

			if (res)
				ci->nsec = 1;
		}
		off += 4 + len + (4 - len % 4) % 4;
	}
	if (ifname[0] || ifdesc[0]) {
		char both[260];

		snprintf(both, sizeof(both), "%s%s%s%s", ifname,
			 ifdesc[0] ? " (" : "", ifdesc, ifdesc[0] ? ")" : "");
		note(ci, "interface", (const uint8_t *)both, strlen(both));
	}
}

int ev_capinfo_read(const char *path, struct ev_capinfo *ci)
{
	uint8_t *b = NULL;
	size_t n = 0, off;
	struct stat st;
	FILE *f;
	int swap = 0, rc = 0;

	memset(ci, 0, sizeof(*ci));
	ci->nsec = -1;
	/*
	 * Only regular files: opening a named pipe would block, and closing
	 * it again could make its writer fail before the analysis opens it.
	 */
	if (!strcmp(path, "-") || (!stat(path, &st) && !S_ISREG(st.st_mode)))
		return -ESPIPE;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return -ESPIPE;
	}
	/* The header blocks come first; 1 MiB is plenty. */
	b = malloc(1 << 20);
	if (!b) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(b, 1, 1 << 20, f);
	fclose(f);
	if (n < 24) {
		rc = -EINVAL;
		goto out;
	}
	switch (rd32(b, 0)) {
	case 0xa1b2c3d4:
	case 0xd4c3b2a1:
	case 0xa1b2cd34:
	case 0x34cdb2a1:
		strcpy(ci->format, "pcap");
		ci->nsec = 0;
		goto out;
	case 0xa1b23c4d:
	case 0x4d3cb2a1:
		strcpy(ci->format, "pcap");
		ci->nsec = 1;
		goto out;
	case 0x0A0D0D0A:
		break;
	default:
		rc = -EINVAL;
		goto out;
	}
	strcpy(ci->format, "pcapng");
	ci->nsec = 0;
	swap = rd32(b + 8, 0) != 0x1A2B3C4D;
	for (off = 0; off + 12 <= n;) {
		uint32_t type = rd32(b + off, swap),
			 len = rd32(b + off + 4, swap);

		if (len < 12 || len % 4 || off + len > n)
			break;
		if (type == 0x0A0D0D0A) {
			if (off)
				break; /* a second section: stop */
			pcapng_opts(ci, b, off + 24, off + len - 4, swap, 0);
		} else if (type == 1) {
			pcapng_opts(ci, b, off + 16, off + len - 4, swap, 1);
		} else if (type != 6 && type != 3 && type != 5) {
			/* name resolution, statistics, ...: skip */
		}
		off += len;
	}
out:
	free(b);
	return rc;
}
