/* SPDX-License-Identifier: MIT */
/*
 * Packet decoder: turns one captured frame of a known link type into a
 * struct flow_seg. Pure function over borrowed bytes; no allocation, no
 * copies, every header access bounds-checked against the captured length.
 *
 * Link types (DLT_* values as returned by pcap_datalink()): Ethernet with
 * any stack of 802.1Q / 802.1ad / QinQ tags, Linux cooked capture v1 and
 * v2, raw IP (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) and BSD loopback
 * (DLT_NULL in host byte order, DLT_LOOP in network byte order).
 * IPv4 with options; IPv6 with extension headers (hop-by-hop, routing,
 * destination options, fragment). Checksums are never verified: checksum
 * offload makes bad checksums normal on the capturing host.
 */
#ifndef FT_CAPTURE_DECODE_H
#define FT_CAPTURE_DECODE_H

#include <stdint.h>

#include "analysis/segment.h"

enum pkt_status {
	PKT_OK = 0,          /* seg is filled (maybe with seg->snapped = 1) */
	PKT_NOT_IP,          /* link payload is not IPv4/IPv6 (ARP, LLDP...) */
	PKT_NOT_TCP,         /* IP, but the transport is not TCP */
	PKT_FRAGMENT,        /* a non-first IP fragment: no TCP header in it */
	PKT_TRUNCATED,       /* cut by the snap length before the TCP flags */
	PKT_MALFORMED,       /* a header whose fields contradict themselves */
	PKT_UNSUPPORTED_LINK,/* a link type this decoder does not know */
	PKT__COUNT
};

/*
 * Decode one frame. dlt is the capture's link type, data/caplen the
 * captured bytes (borrowed, read only during the call), wirelen the
 * original length. On PKT_OK every field of *seg except wall_ns and frame
 * is set (the caller owns those). On any other status *seg is unspecified.
 */
enum pkt_status pkt_decode(int dlt, const uint8_t *data, uint32_t caplen,
			   uint32_t wirelen, struct flow_seg *seg);

/* 1 when pkt_decode() knows the link type dlt, else 0. */
int pkt_link_supported(int dlt);

/* Stable lower-case name of a status for reports ("not-tcp", ...). */
const char *pkt_status_name(enum pkt_status st);

#endif /* FT_CAPTURE_DECODE_H */
