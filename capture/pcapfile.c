/* SPDX-License-Identifier: MIT */
/*
 * Records of a classic pcap file read into a buffer of our own; see
 * pcapfile_internal.h.
 */
#include "capture/pcapfile_internal.h"
#include "capture/window.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define FILE_HDR 24u
#define REC_HDR 16u

/* A record above this is damage, not a packet cut to the snap length. */
#define CAPLEN_MAX (64u << 20)

struct src_pf {
	int fd;            /* a regular file, read by pread(); or -1 */
	struct src_stream *s; /* else this stream, past the file header */
	struct src_win w;  /* read ahead (window.h) */
	int ended;         /* its end was seen: the window is freed */
	uint64_t size;     /* of the file when opened: what is read (0 for
			      a stream: until its end) */
	uint64_t read_to;  /* file offset of w.buf + w.have */
	int swapped;
	uint32_t ts_scale; /* 1000 for microseconds, 1 for nanoseconds */
	uint32_t snaplen;  /* libpcap's, for the link type */
};

static uint32_t rd32(const struct src_pf *pf, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return pf->swapped ? __builtin_bswap32(v) : v;
}

/*
 * Whether hdr (FILE_HDR bytes) is a file header of version 2.4, and if
 * so its byte order and the nanoseconds of its timestamps' unit.
 */
static int header(const uint8_t *hdr, int *swapped, uint32_t *ts_scale)
{
	uint32_t magic;
	uint16_t major, minor;

	memcpy(&magic, hdr, sizeof(magic));
	*swapped = magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS;
	if (*swapped)
		magic = __builtin_bswap32(magic);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS)
		return 0;
	*ts_scale = magic == PCAP_MAGIC_NS ? 1 : 1000;
	/*
	 * Version 2.4 only: older files (2.2, 2.3) and odd variants keep
	 * libpcap's own handling of their quirks.
	 */
	memcpy(&major, hdr + 4, sizeof(major));
	memcpy(&minor, hdr + 6, sizeof(minor));
	if (*swapped) {
		major = __builtin_bswap16(major);
		minor = __builtin_bswap16(minor);
	}
	return major == 2 && minor == 4;
}

int src_pf_header_ok(const uint8_t *hdr)
{
	uint32_t scale;
	int swapped;

	return header(hdr, &swapped, &scale);
}

/* A reader of the records after hdr (header() true). */
static struct src_pf *pf_new(const uint8_t *hdr, uint32_t snaplen)
{
	struct src_pf *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	if (!header(hdr, &pf->swapped, &pf->ts_scale)) {
		free(pf);
		return NULL;
	}
	pf->fd = -1;
	pf->snaplen = snaplen;
	pf->read_to = FILE_HDR;
	return pf;
}

struct src_pf *src_pf_open(const char *path, uint32_t snaplen)
{
	uint8_t hdr[FILE_HDR];
	struct src_pf *pf;
	struct stat st;
	int fd;

	/* never wait on a named pipe whose writer is gone */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < FILE_HDR ||
	    pread(fd, hdr, FILE_HDR, 0) != FILE_HDR ||
	    !(pf = pf_new(hdr, snaplen))) {
		close(fd);
		return NULL;
	}
	pf->fd = fd;
	pf->size = (uint64_t)st.st_size;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return pf;
}

struct src_pf *src_pf_open_stream(struct src_stream *s, const uint8_t *hdr,
				  uint32_t snaplen)
{
	struct src_pf *pf = pf_new(hdr, snaplen);

	if (pf)
		pf->s = s;
	return pf;
}

/*
 * Have want bytes from the next record on in the buffer, or all that the
 * input has left when that is less. Returns how many there are (at most
 * want), or -EIO with the cause in err.
 */
static long fill(struct src_pf *pf, size_t want, char *err)
{
	if (pf->fd >= 0) {
		uint64_t left = pf->size - src_pf_pos(pf);

		if (want > left)
			want = (size_t)left;
	}
	if (src_win_buffered(&pf->w) >= want)
		return (long)want;
	if (src_win_room(&pf->w, want)) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "no memory for a record of %zu bytes", want);
		return -EIO;
	}
	while (pf->w.have < want) {
		size_t ask = pf->w.cap - pf->w.have;
		ssize_t n;

		if (pf->s) {
			n = src_stream_read(pf->s, pf->w.buf + pf->w.have, ask);
			if (n < 0) {
				snprintf(err, FT_ERRBUF_SIZE, "%s",
					 src_stream_error(pf->s));
				return -EIO;
			}
			if (!n)
				break; /* the end: the caller tells a cut */
		} else {
			uint64_t left = pf->size - pf->read_to;

			if (ask > left)
				ask = (size_t)left;
			n = pread(pf->fd, pf->w.buf + pf->w.have, ask,
				  (off_t)pf->read_to);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(err, FT_ERRBUF_SIZE,
					 "read error: %s", strerror(errno));
				return -EIO;
			}
			if (n == 0) {
				/* the file shrank under us */
				snprintf(err, FT_ERRBUF_SIZE,
					 "truncated dump file; the file ended "
					 "at %llu bytes, %llu when it was "
					 "opened",
					 (unsigned long long)pf->read_to,
					 (unsigned long long)pf->size);
				return -EIO;
			}
		}
		pf->w.have += (size_t)n;
		pf->read_to += (uint64_t)n;
	}
	return (long)(src_win_buffered(&pf->w) < want
			      ? src_win_buffered(&pf->w)
			      : want);
}

int src_pf_next(struct src_pf *pf, struct src_pf_packet *pkt, char *err)
{
	const uint8_t *h;
	uint32_t caplen, wirelen, sec, frac, cut;
	uint64_t lens;
	long got;

	_Static_assert(offsetof(struct src_pf_packet, wirelen) ==
			       offsetof(struct src_pf_packet, caplen) + 4,
		       "caplen and wirelen make one word");
	if (pf->ended)
		return 0;
	got = fill(pf, REC_HDR, err);
	if (!got) {
		pf->ended = 1;
		src_win_free(&pf->w);
		return 0;
	}
	if (got < 0)
		return -EIO;
	if (got < REC_HDR) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "truncated dump file; tried to read %u header bytes, "
			 "only got %ld",
			 REC_HDR, got);
		return -EIO;
	}
	h = pf->w.buf + pf->w.at;
	sec = rd32(pf, h);
	frac = rd32(pf, h + 4);
	caplen = rd32(pf, h + 8);
	wirelen = rd32(pf, h + 12);
	if (caplen > CAPLEN_MAX) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "invalid packet capture length %u, bigger than "
			 "maximum of %u",
			 caplen, CAPLEN_MAX);
		return -EIO;
	}
	got = fill(pf, REC_HDR + caplen, err);
	if (got < 0)
		return -EIO;
	if ((size_t)got < REC_HDR + caplen) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "truncated dump file; tried to read %u captured "
			 "bytes, only got %ld",
			 caplen, got - (long)REC_HDR);
		return -EIO;
	}
	h = pf->w.buf + pf->w.at;
	/* As libpcap: a record longer than the snap length is cut to it. */
	cut = pf->snaplen && caplen > pf->snaplen ? pf->snaplen : caplen;
	pkt->data = h + REC_HDR;
	/*
	 * caplen and wirelen in one store: the caller copies them as one
	 * word, and a word stored in two halves is not forwarded to its
	 * load (the load waits for both stores to reach the cache).
	 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	lens = (uint64_t)cut | (uint64_t)wirelen << 32;
#else
	lens = (uint64_t)cut << 32 | wirelen;
#endif
	memcpy(&pkt->caplen, &lens, sizeof(lens));
	pkt->wall_ns = (uint64_t)sec * 1000000000ULL +
		       (uint64_t)frac * pf->ts_scale;
	pf->w.at += REC_HDR + caplen;
	return 1;
}

/* The file offset of the next record: what is read, less what is left. */
uint64_t src_pf_pos(const struct src_pf *pf)
{
	return pf->read_to - src_win_buffered(&pf->w);
}

uint64_t src_pf_size(const struct src_pf *pf)
{
	return pf->size;
}

void src_pf_free(struct src_pf *pf)
{
	if (!pf)
		return;
	src_win_free(&pf->w);
	if (pf->fd >= 0)
		close(pf->fd);
	free(pf);
}
