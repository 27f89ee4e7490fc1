/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the packet decoder. The first input byte picks the
 * link type (every type pkt_decode() knows, and one it does not), the
 * second the original length relative to the captured one, and the rest
 * is the frame. libFuzzer hands over a heap buffer of exactly the input's
 * size, so AddressSanitizer catches any read past the captured bytes.
 *
 * Besides memory errors it checks what decode.h promises: a status in
 * range, PKT_UNSUPPORTED_LINK exactly for unknown link types, and on
 * PKT_OK a sane segment (family 4 or 6, IPv4 addresses zero-padded, a
 * payload that fits the frame unless the segment is marked snapped).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *frame = data + 2;
	struct flow_seg seg;
	enum pkt_status st;
	uint32_t caplen, wirelen;
	int dlt;

	if (size < 2)
		return 0;
	dlt = fz_dlts[data[0] % FZ_NDLTS];
	caplen = (uint32_t)(size - 2);
	/* 0xff: a record whose original length is 0 (TSO capture); else
	 * the frame was cut by data[1] * 64 bytes. */
	wirelen = data[1] == 0xff ? 0 : caplen + (uint32_t)data[1] * 64;

	memset(&seg, 0xa5, sizeof(seg));
	st = pkt_decode(dlt, frame, caplen, wirelen, &seg);
	FZ_CHECK((unsigned)st < PKT__COUNT);
	FZ_CHECK(strcmp(pkt_status_name(st), "unknown") != 0);
	FZ_CHECK((st == PKT_UNSUPPORTED_LINK) == !pkt_link_supported(dlt));
	if (st != PKT_OK)
		return 0;
	FZ_CHECK(seg.family == SEG_IPV4 || seg.family == SEG_IPV6);
	FZ_CHECK(seg.snapped == 0 || seg.snapped == 1);
	if (seg.family == SEG_IPV4) {
		static const uint8_t zero[12];

		FZ_CHECK(!memcmp(seg.saddr + 4, zero, 12));
		FZ_CHECK(!memcmp(seg.daddr + 4, zero, 12));
	}
	/* A segment not marked snapped had all of its payload captured. */
	if (!seg.snapped)
		FZ_CHECK(seg.payload_len <= caplen);
	return 0;
}
