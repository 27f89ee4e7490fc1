/* SPDX-License-Identifier: MIT */
/*
 * Records of a classic pcap file read in place from a memory map; see
 * pcapmap_internal.h.
 */
#include "capture/pcapmap_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define FILE_HDR 24u
#define REC_HDR 16u

struct src_pm {
	const uint8_t *map;
	size_t size;
	size_t pos;
	size_t dropped; /* pages before this are out of the address space */
	int swapped;
	uint32_t ts_scale; /* 1000 for microseconds, 1 for nanoseconds */
	uint32_t snaplen;  /* libpcap's, for the link type */
};

/*
 * Pages read are dropped from the map every this many bytes: the page
 * cache keeps them, but the process's resident size stays that of its
 * own memory, not of the file.
 */
#define DROP_EVERY (32u << 20)

/* A record above this is damage, not a packet cut to the snap length. */
#define CAPLEN_MAX (64u << 20)

static uint32_t rd32(const struct src_pm *pm, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return pm->swapped ? __builtin_bswap32(v) : v;
}

struct src_pm *src_pm_open(const char *path, uint32_t snaplen)
{
	struct src_pm *pm;
	struct stat st;
	uint32_t magic;
	void *map;
	int fd;

	/* never wait on a named pipe whose writer is gone */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < FILE_HDR) {
		close(fd);
		return NULL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	pm = calloc(1, sizeof(*pm));
	if (!pm) {
		munmap(map, (size_t)st.st_size);
		return NULL;
	}
	pm->map = map;
	pm->size = (size_t)st.st_size;
	pm->pos = FILE_HDR;
	memcpy(&magic, pm->map, sizeof(magic));
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
		pm->swapped = 0;
	} else if (__builtin_bswap32(magic) == PCAP_MAGIC_US ||
		   __builtin_bswap32(magic) == PCAP_MAGIC_NS) {
		pm->swapped = 1;
		magic = __builtin_bswap32(magic);
	} else {
		src_pm_free(pm);
		return NULL;
	}
	pm->ts_scale = magic == PCAP_MAGIC_NS ? 1 : 1000;
	/*
	 * Version 2.4 only: older files (2.2, 2.3) and odd variants keep
	 * libpcap's own handling of their quirks.
	 */
	/* major 2, minor 4: two 16-bit fields read as one word */
	if (rd32(pm, pm->map + 4) != (pm->swapped ? 0x00020004u : 0x00040002u)) {
		src_pm_free(pm);
		return NULL;
	}
	pm->snaplen = snaplen;
	madvise((void *)pm->map, pm->size, MADV_SEQUENTIAL);
	return pm;
}

int src_pm_next(struct src_pm *pm, struct src_pm_packet *pkt, char *err)
{
	const uint8_t *h;
	size_t left = pm->size - pm->pos;
	uint32_t caplen, wirelen, sec, frac;

	if (!left)
		return 0;
	/* The record handed out before is done with: drop what precedes. */
	if (pm->pos - pm->dropped >= DROP_EVERY) {
		size_t upto = pm->pos & ~(size_t)(sysconf(_SC_PAGESIZE) - 1);

		madvise((void *)(pm->map + pm->dropped), upto - pm->dropped,
			MADV_DONTNEED);
		pm->dropped = upto;
	}
	if (left < REC_HDR) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "truncated dump file; tried to read %u header bytes, "
			 "only got %zu",
			 REC_HDR, left);
		return -EIO;
	}
	h = pm->map + pm->pos;
	sec = rd32(pm, h);
	frac = rd32(pm, h + 4);
	caplen = rd32(pm, h + 8);
	wirelen = rd32(pm, h + 12);
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
			 "bytes, only got %zu",
			 caplen, left - REC_HDR);
		return -EIO;
	}
	pkt->data = h + REC_HDR;
	/* As libpcap: a record longer than the snap length is cut to it. */
	pkt->caplen = pm->snaplen && caplen > pm->snaplen ? pm->snaplen
							   : caplen;
	pkt->wirelen = wirelen;
	pkt->wall_ns = (uint64_t)sec * 1000000000ULL +
		       (uint64_t)frac * pm->ts_scale;
	pm->pos += REC_HDR + caplen;
	return 1;
}

uint64_t src_pm_pos(const struct src_pm *pm)
{
	return pm->pos;
}

uint64_t src_pm_size(const struct src_pm *pm)
{
	return pm->size;
}

void src_pm_free(struct src_pm *pm)
{
	if (!pm)
		return;
	munmap((void *)pm->map, pm->size);
	free(pm);
}
