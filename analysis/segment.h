/* SPDX-License-Identifier: MIT */
/*
 * One TCP segment as seen on the wire: the plain struct that capture/
 * produces and the flow tracker consumes. It carries no pcap types so that
 * every tracker rule can be tested with hand-built segments.
 */
#ifndef FT_ANALYSIS_SEGMENT_H
#define FT_ANALYSIS_SEGMENT_H

#include <stdint.h>

/* TCP header flag bits, as in the header's 13th byte (RFC 9293, 3.1). */
#define SEG_FIN 0x01
#define SEG_SYN 0x02
#define SEG_RST 0x04
#define SEG_PSH 0x08
#define SEG_ACK 0x10
#define SEG_URG 0x20
#define SEG_ECE 0x40
#define SEG_CWR 0x80

/* Address family of a segment; values are the IP version numbers. */
#define SEG_IPV4 4
#define SEG_IPV6 6

/*
 * Addresses are stored in 16 bytes; an IPv4 address takes the first four
 * and the other twelve are zero.
 */
struct flow_seg {
	uint64_t wall_ns;      /* capture time, ns since the Unix epoch */
	uint64_t frame;        /* 1-based frame number in the input */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t sport;        /* host byte order */
	uint16_t dport;        /* host byte order */
	uint32_t seq;          /* host byte order */
	uint32_t ack;          /* host byte order, meaningful with SEG_ACK */
	uint32_t payload_len;  /* from the IP length, not from the snap length */
	uint16_t window;       /* raw window field, unscaled */
	uint8_t family;        /* SEG_IPV4 or SEG_IPV6 */
	uint8_t flags;         /* SEG_* bits */
	uint8_t snapped;       /* 1 when the payload was cut by the snap length */
};

#endif /* FT_ANALYSIS_SEGMENT_H */
