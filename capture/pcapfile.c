/* SPDX-License-Identifier: MIT */
/*
 * Records of a classic pcap file read into a buffer of our own; see
 * pcapfile_internal.h.
 */
#include "capture/pcapfile_internal.h"

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

/*
 * Bytes asked of each pread(): large enough that the system calls cost
 * nothing next to the records, small enough to stay in the core's
 * cache while the records are decoded.
 */
#define BUF_SIZE (1u << 20)

/* A record above this is damage, not a packet cut to the snap length. */
#define CAPLEN_MAX (64u << 20)

struct src_pf {
	int fd;
	uint8_t *buf;
	size_t cap;        /* bytes of buf */
	size_t at;         /* the next record's offset in buf */
	size_t have;       /* bytes of buf read from the file */
	uint64_t size;     /* of the file when opened: what is read */
	uint64_t read_to;  /* file offset of buf + have */
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

struct src_pf *src_pf_open(const char *path, uint32_t snaplen)
{
	uint8_t hdr[FILE_HDR];
	struct src_pf *pf;
	struct stat st;
	uint32_t magic;
	int fd;

	/* never wait on a named pipe whose writer is gone */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < FILE_HDR ||
	    pread(fd, hdr, FILE_HDR, 0) != FILE_HDR) {
		close(fd);
		return NULL;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf) {
		close(fd);
		return NULL;
	}
	pf->fd = fd;
	pf->size = (uint64_t)st.st_size;
	pf->read_to = FILE_HDR;
	memcpy(&magic, hdr, sizeof(magic));
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
		pf->swapped = 0;
	} else if (__builtin_bswap32(magic) == PCAP_MAGIC_US ||
		   __builtin_bswap32(magic) == PCAP_MAGIC_NS) {
		pf->swapped = 1;
		magic = __builtin_bswap32(magic);
	} else {
		src_pf_free(pf);
		return NULL;
	}
	pf->ts_scale = magic == PCAP_MAGIC_NS ? 1 : 1000;
	/*
	 * Version 2.4 only: older files (2.2, 2.3) and odd variants keep
	 * libpcap's own handling of their quirks.
	 */
	/* major 2, minor 4: two 16-bit fields read as one word */
	if (rd32(pf, hdr + 4) != (pf->swapped ? 0x00020004u : 0x00040002u)) {
		src_pf_free(pf);
		return NULL;
	}
	pf->snaplen = snaplen;
	pf->cap = BUF_SIZE;
	pf->buf = malloc(pf->cap);
	if (!pf->buf) {
		src_pf_free(pf);
		return NULL;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return pf;
}

/*
 * Have at least want bytes from the next record on in the buffer (want
 * is never more than the file has left). Returns 0, or -EIO with the
 * cause in err.
 */
static int fill(struct src_pf *pf, size_t want, char *err)
{
	if (pf->have - pf->at >= want)
		return 0;
	/* what is left of the buffer goes to its start */
	memmove(pf->buf, pf->buf + pf->at, pf->have - pf->at);
	pf->have -= pf->at;
	pf->at = 0;
	if (want > pf->cap) {
		uint8_t *nb = realloc(pf->buf, want);

		if (!nb) {
			snprintf(err, FT_ERRBUF_SIZE,
				 "no memory for a record of %zu bytes", want);
			return -EIO;
		}
		pf->buf = nb;
		pf->cap = want;
	}
	while (pf->have < want) {
		uint64_t left = pf->size - pf->read_to;
		size_t ask = pf->cap - pf->have;
		ssize_t n;

		if (ask > left)
			ask = (size_t)left;
		n = pread(pf->fd, pf->buf + pf->have, ask, (off_t)pf->read_to);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, FT_ERRBUF_SIZE, "read error: %s",
				 strerror(errno));
			return -EIO;
		}
		if (n == 0) {
			/* the file shrank under us */
			snprintf(err, FT_ERRBUF_SIZE,
				 "truncated dump file; the file ended at "
				 "%llu bytes, %llu when it was opened",
				 (unsigned long long)pf->read_to,
				 (unsigned long long)pf->size);
			return -EIO;
		}
		pf->have += (size_t)n;
		pf->read_to += (uint64_t)n;
	}
	return 0;
}

int src_pf_next(struct src_pf *pf, struct src_pf_packet *pkt, char *err)
{
	const uint8_t *h;
	uint64_t left = pf->size - src_pf_pos(pf);
	uint32_t caplen, wirelen, sec, frac, cut;
	uint64_t lens;

	_Static_assert(offsetof(struct src_pf_packet, wirelen) ==
			       offsetof(struct src_pf_packet, caplen) + 4,
		       "caplen and wirelen make one word");
	if (!left)
		return 0;
	if (left < REC_HDR) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "truncated dump file; tried to read %u header bytes, "
			 "only got %llu",
			 REC_HDR, (unsigned long long)left);
		return -EIO;
	}
	if (fill(pf, REC_HDR, err))
		return -EIO;
	h = pf->buf + pf->at;
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
	if (left - REC_HDR < caplen) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "truncated dump file; tried to read %u captured "
			 "bytes, only got %llu",
			 caplen, (unsigned long long)(left - REC_HDR));
		return -EIO;
	}
	if (fill(pf, REC_HDR + caplen, err))
		return -EIO;
	h = pf->buf + pf->at;
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
	pf->at += REC_HDR + caplen;
	return 1;
}

/* The file offset of the next record: what is read, less what is left. */
uint64_t src_pf_pos(const struct src_pf *pf)
{
	return pf->read_to - (pf->have - pf->at);
}

uint64_t src_pf_size(const struct src_pf *pf)
{
	return pf->size;
}

void src_pf_free(struct src_pf *pf)
{
	if (!pf)
		return;
	free(pf->buf);
	close(pf->fd);
	free(pf);
}
