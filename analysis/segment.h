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

/* Kinds of tunnel a segment came through (struct flow_tunnel). */
enum seg_tunnel_kind {
	SEG_TUN_NONE = 0,
	SEG_TUN_VXLAN,	/* id: VNI */
	SEG_TUN_GENEVE, /* id: VNI */
	SEG_TUN_GRE,	/* id: key when present, else the outer endpoints */
	SEG_TUN_ERSPAN, /* id: session */
	SEG_TUN_MPLS,	/* id: bottom-of-stack label */
	SEG_TUN_IPIP,	/* IPv4 in IP: the outer endpoints */
	SEG_TUN_IP6IP,	/* IPv6 in IP: the outer endpoints */
	SEG_TUN_PPPOE,	/* id: session */
	SEG_TUN__COUNT
};

/*
 * The innermost encapsulation that tells tenants apart; all zero when
 * the segment was not tunnelled. Compared as bytes: padding stays zero.
 * outer holds the outer IPv4 endpoints, or for IPv6 ones a 32-bit hash
 * of each (outer_family says which), the lower first so that both
 * directions agree, when the kind has no id of its own.
 */
struct flow_tunnel {
	uint8_t kind;	      /* enum seg_tunnel_kind */
	uint8_t outer_family; /* SEG_IPV4, SEG_IPV6, or 0 when id is used */
	uint8_t pad[2];
	uint32_t id;
	uint8_t outer[8];
};

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
	struct flow_tunnel tunnel; /* the tunnel it came through, if any */
};

#endif /* FT_ANALYSIS_SEGMENT_H */
