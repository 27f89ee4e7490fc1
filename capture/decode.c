/* SPDX-License-Identifier: MIT */
/*
 * Packet decoder: link header, then IPv4/IPv6, then the TCP header, read
 * in place through a bounds-checked cursor. Every header is pulled through
 * pkt_cur_pull(), which hands back NULL instead of a pointer that would
 * run past the captured bytes, so no access can overread a frame whatever
 * its contents. Multi-byte fields are read with memcpy (frames carry no
 * alignment guarantee) and converted from network order.
 *
 * This is the per-packet hot path: one switch on the link type, straight
 * line code per header, no allocation and no indirect calls.
 *
 * Status order: a status is decided as soon as the bytes that prove it are
 * there. A header that contradicts itself is PKT_MALFORMED even when the
 * capture stops right after it; a capture that stops before the TCP flags
 * byte is PKT_TRUNCATED; once seq, ack and flags are captured the segment
 * is PKT_OK and anything missing after them (window, options, payload)
 * only sets seg->snapped.
 *
 * Non-first fragments are PKT_FRAGMENT only when they may belong to a TCP
 * segment (IPv4 protocol TCP; IPv6 fragment header whose next header is
 * TCP, destination options or AH); fragments of other transports are
 * PKT_NOT_TCP so that the fragment count means "TCP we could not see".
 *
 * Encapsulations are one table, pkt_encaps[], keyed by the field that
 * announces them (an EtherType, an IP protocol, a UDP destination port);
 * each row's handler reads its header, records the tunnel in seg and
 * hands the inner packet back to the EtherType/IP dispatch. Nesting is
 * bounded by PKT_ENCAP_DEPTH: deeper is PKT_MALFORMED.
 */
#include <string.h>

#include <arpa/inet.h>
#include <pcap/dlt.h>

#include "capture/decode.h"

/* EtherType values (IEEE 802 numbers). */
#define PKT_ETH_IPV4 0x0800
#define PKT_ETH_IPV6 0x86dd
#define PKT_ETH_8021Q 0x8100
#define PKT_ETH_8021AD 0x88a8
#define PKT_ETH_QINQ_9100 0x9100 /* pre-802.1ad QinQ outer tag */
#define PKT_ETH_QINQ_9200 0x9200 /* ditto, seen on older switches */

/* IP protocol / IPv6 next header numbers. */
#define PKT_IP_HOPOPTS 0
#define PKT_IP_TCP 6
#define PKT_IP_UDP 17
#define PKT_IP_ROUTING 43
#define PKT_IP_FRAGMENT 44
#define PKT_IP_AH 51
#define PKT_IP_DSTOPTS 60

/* Linux ARPHRD_NETLINK: an SLL header whose protocol is a netlink family. */
#define PKT_ARPHRD_NETLINK 824

/*
 * Raw IP link types. DLT_RAW is 12, except on OpenBSD where it is 14 and
 * 12 is DLT_LOOP; captures written elsewhere may carry either number, and
 * libpcap can hand LINKTYPE_RAW (101) through unmapped. 228 and 229 are
 * DLT_IPV4 and DLT_IPV6, spelled out for libpcaps that predate them.
 */
#define PKT_DLT_RAW_12 12
#define PKT_DLT_RAW_14 14
#define PKT_LINKTYPE_RAW 101
#define PKT_DLT_IPV4 228
#define PKT_DLT_IPV6 229

#ifdef DLT_LOOP
#define PKT_DLT_LOOP DLT_LOOP
#else
#define PKT_DLT_LOOP 108
#endif
#ifdef DLT_LINUX_SLL2
#define PKT_DLT_LINUX_SLL2 DLT_LINUX_SLL2
#else
#define PKT_DLT_LINUX_SLL2 276
#endif

/* Header sizes. */
#define PKT_ETH_HLEN 14
#define PKT_VLAN_HLEN 4
#define PKT_SLL_HLEN 16
#define PKT_SLL2_HLEN 20
#define PKT_NULL_HLEN 4
#define PKT_IPV4_HLEN 20
#define PKT_IPV6_HLEN 40
#define PKT_IPV6_EXT_MIN 8
#define PKT_TCP_HLEN 20
#define PKT_TCP_FLAGS_END 14 /* bytes up to and including the flags byte */
#define PKT_UDP_HLEN 8

/* Encapsulations inside one another at most (VXLAN in GRE in MPLS...). */
#define PKT_ENCAP_DEPTH 8
#define PKT_MPLS_LABELS 16 /* label stack entries at most */

/*
 * Read position in a frame. left is the number of captured bytes from pos
 * on; start and wire (the larger of caplen and wirelen) let a header whose
 * length field is 0 (TSO, IPv6 jumbograms) fall back to the wire length.
 */
struct pkt_cursor {
	const uint8_t *pos;
	uint32_t left;
	const uint8_t *start;
	uint32_t wire;
};

/* Returns pos and advances by len, or NULL when fewer than len remain. */
static inline const uint8_t *pkt_cur_pull(struct pkt_cursor *c, uint32_t len)
{
	const uint8_t *p = c->pos;

	if (c->left < len)
		return NULL;
	c->pos += len;
	c->left -= len;
	return p;
}

/* Returns pos without advancing, or NULL when fewer than len remain. */
static inline const uint8_t *pkt_cur_peek(const struct pkt_cursor *c,
					  uint32_t len)
{
	return c->left < len ? NULL : c->pos;
}

/* Bytes on the wire from hdr (inside the frame) to the end of the frame. */
static inline uint32_t pkt_cur_wire_from(const struct pkt_cursor *c,
					 const uint8_t *hdr)
{
	return c->wire - (uint32_t)(hdr - c->start);
}

static inline uint16_t pkt_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static inline uint32_t pkt_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

/* What the encapsulation handlers need from the headers around them. */
struct pkt_ctx {
	unsigned depth;	       /* encapsulations entered so far */
	const uint8_t *ip_src; /* the enclosing IP header's addresses */
	const uint8_t *ip_dst;
	uint8_t ip_family;
	uint8_t gre_seq; /* the enclosing GRE header had a sequence */
};

/* What announces an encapsulation. */
enum pkt_by {
	PKT_BY_ETHERTYPE = 0,
	PKT_BY_IPPROTO,
	PKT_BY_UDPPORT, /* destination port */
};

struct pkt_encap {
	uint8_t by; /* enum pkt_by */
	uint16_t value;
	enum pkt_status (*fn)(struct pkt_ctx *x, struct pkt_cursor *c,
			      struct flow_seg *seg);
};

static const struct pkt_encap *pkt_encap_find(enum pkt_by by, uint16_t value);
static enum pkt_status pkt_encap_run(struct pkt_ctx *x, struct pkt_cursor *c,
				     const struct pkt_encap *e,
				     struct flow_seg *seg);
static enum pkt_status pkt_ethertype(struct pkt_ctx *x, struct pkt_cursor *c,
				     uint16_t type, struct flow_seg *seg);

/*
 * TCP header at the cursor; ip_payload is the length of the IP payload
 * that starts here (TCP header and data), as the IP header states it.
 */
static inline enum pkt_status pkt_tcp(struct pkt_cursor *c,
				      uint32_t ip_payload,
				      struct flow_seg *seg)
{
	const uint8_t *th = pkt_cur_peek(c, PKT_TCP_FLAGS_END);
	uint32_t thlen;

	if (!th)
		return PKT_TRUNCATED;
	thlen = (uint32_t)(th[12] >> 4) * 4;
	if (thlen < PKT_TCP_HLEN || ip_payload < thlen)
		return PKT_MALFORMED;

	seg->sport = pkt_rd16(th);
	seg->dport = pkt_rd16(th + 2);
	seg->seq = pkt_rd32(th + 4);
	seg->ack = pkt_rd32(th + 8);
	seg->flags = th[13];
	/* Only a capture cut inside the header lacks the window. */
	seg->window = c->left >= 16 ? pkt_rd16(th + 14) : 0;
	seg->payload_len = ip_payload - thlen;
	seg->snapped = c->left < ip_payload;
	return PKT_OK;
}

static enum pkt_status pkt_ipv4(struct pkt_ctx *x, struct pkt_cursor *c,
				struct flow_seg *seg)
{
	const uint8_t *ip = pkt_cur_pull(c, PKT_IPV4_HLEN);
	uint32_t hlen, tot;

	if (!ip)
		return PKT_TRUNCATED;
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || hlen < PKT_IPV4_HLEN)
		return PKT_MALFORMED;
	tot = pkt_rd16(ip + 2);
	/* TSO/GSO frames are captured before segmentation with length 0. */
	if (tot == 0)
		tot = pkt_cur_wire_from(c, ip);
	if (tot < hlen)
		return PKT_MALFORMED;
	if (ip[9] != PKT_IP_TCP) {
		/* Not TCP, unless a tunnel carries it. */
		const struct pkt_encap *e =
			pkt_encap_find(PKT_BY_IPPROTO, ip[9]);

		if (!e)
			return PKT_NOT_TCP;
		if (pkt_rd16(ip + 6) & 0x1fff)
			return ip[9] == PKT_IP_UDP ? PKT_NOT_TCP : PKT_FRAGMENT;
		if (hlen > PKT_IPV4_HLEN &&
		    !pkt_cur_pull(c, hlen - PKT_IPV4_HLEN))
			return PKT_TRUNCATED;
		x->ip_src = ip + 12;
		x->ip_dst = ip + 16;
		x->ip_family = SEG_IPV4;
		return pkt_encap_run(x, c, e, seg);
	}
	/* Fragment offset (low 13 bits); MF alone is a decodable first one. */
	if (pkt_rd16(ip + 6) & 0x1fff)
		return PKT_FRAGMENT;
	if (hlen > PKT_IPV4_HLEN && !pkt_cur_pull(c, hlen - PKT_IPV4_HLEN))
		return PKT_TRUNCATED;

	seg->family = SEG_IPV4;
	memcpy(seg->saddr, ip + 12, 4);
	memset(seg->saddr + 4, 0, 12);
	memcpy(seg->daddr, ip + 16, 4);
	memset(seg->daddr + 4, 0, 12);
	return pkt_tcp(c, tot - hlen, seg);
}

static enum pkt_status pkt_ipv6(struct pkt_ctx *x, struct pkt_cursor *c,
				struct flow_seg *seg)
{
	const uint8_t *ip = pkt_cur_pull(c, PKT_IPV6_HLEN);
	const uint8_t *h;
	uint32_t plen, len;
	uint8_t nh;

	if (!ip)
		return PKT_TRUNCATED;
	if ((ip[0] >> 4) != 6)
		return PKT_MALFORMED;
	plen = pkt_rd16(ip + 4);
	/* Jumbograms and BIG TCP GSO frames carry payload length 0. */
	if (plen == 0)
		plen = pkt_cur_wire_from(c, ip) - PKT_IPV6_HLEN;
	nh = ip[6];

	/*
	 * Extension headers (RFC 8200, 4). Each pull takes at least 8
	 * bytes, so the walk ends within caplen / 8 steps.
	 */
	while (nh != PKT_IP_TCP) {
		switch (nh) {
		case PKT_IP_HOPOPTS:
		case PKT_IP_ROUTING:
		case PKT_IP_DSTOPTS:
			h = pkt_cur_pull(c, PKT_IPV6_EXT_MIN);
			if (!h)
				return PKT_TRUNCATED;
			len = ((uint32_t)h[1] + 1) * 8;
			break;
		case PKT_IP_FRAGMENT:
			h = pkt_cur_pull(c, PKT_IPV6_EXT_MIN);
			if (!h)
				return PKT_TRUNCATED;
			len = PKT_IPV6_EXT_MIN;
			if (pkt_rd16(h + 2) & 0xfff8) {
				if (h[0] == PKT_IP_TCP ||
				    h[0] == PKT_IP_DSTOPTS || h[0] == PKT_IP_AH)
					return PKT_FRAGMENT;
				return PKT_NOT_TCP;
			}
			break;
		case PKT_IP_AH:
			/* RFC 4302, 2.2: length in 4-byte words, minus 2. */
			h = pkt_cur_pull(c, PKT_IPV6_EXT_MIN);
			if (!h)
				return PKT_TRUNCATED;
			len = ((uint32_t)h[1] + 2) * 4;
			break;
		default:
			/* A tunnel, or ESP (50), no next header (59),
			 * ICMPv6... */
			if (!pkt_encap_find(PKT_BY_IPPROTO, nh))
				return PKT_NOT_TCP;
			x->ip_src = ip + 8;
			x->ip_dst = ip + 24;
			x->ip_family = SEG_IPV6;
			return pkt_encap_run(
				x, c, pkt_encap_find(PKT_BY_IPPROTO, nh), seg);
		}
		if (len > plen)
			return PKT_MALFORMED;
		plen -= len;
		if (len > PKT_IPV6_EXT_MIN &&
		    !pkt_cur_pull(c, len - PKT_IPV6_EXT_MIN))
			return PKT_TRUNCATED;
		nh = h[0];
	}

	seg->family = SEG_IPV6;
	memcpy(seg->saddr, ip + 8, 16);
	memcpy(seg->daddr, ip + 24, 16);
	return pkt_tcp(c, plen, seg);
}

/* After a link header: skip any stack of VLAN tags, then dispatch on IP. */
static enum pkt_status pkt_ethertype(struct pkt_ctx *x, struct pkt_cursor *c,
				     uint16_t type, struct flow_seg *seg)
{
	const uint8_t *tag;

	while (type == PKT_ETH_8021Q || type == PKT_ETH_8021AD ||
	       type == PKT_ETH_QINQ_9100 || type == PKT_ETH_QINQ_9200) {
		tag = pkt_cur_pull(c, PKT_VLAN_HLEN);
		if (!tag)
			return PKT_TRUNCATED;
		type = pkt_rd16(tag + 2);
	}
	if (type == PKT_ETH_IPV4)
		return pkt_ipv4(x, c, seg);
	if (type == PKT_ETH_IPV6)
		return pkt_ipv6(x, c, seg);
	/* MPLS, PPPoE, inside GRE... else ARP, LLDP, 802.3 lengths, SLL
	 * pseudo protocols. */
	{
		const struct pkt_encap *e =
			pkt_encap_find(PKT_BY_ETHERTYPE, type);

		return e ? pkt_encap_run(x, c, e, seg) : PKT_NOT_IP;
	}
}

/* An Ethernet header at the cursor (a bridged or VXLAN inner frame). */
static enum pkt_status pkt_eth(struct pkt_ctx *x, struct pkt_cursor *c,
			       struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, PKT_ETH_HLEN);

	if (!h)
		return PKT_TRUNCATED;
	return pkt_ethertype(x, c, pkt_rd16(h + 12), seg);
}

/* ---- encapsulations ---- */

/* A tunnel named by an id (VNI, key, label, session). */
static void pkt_tunnel_id(struct flow_seg *seg, enum seg_tunnel_kind kind,
			  uint32_t id)
{
	memset(&seg->tunnel, 0, sizeof(seg->tunnel));
	seg->tunnel.kind = (uint8_t)kind;
	seg->tunnel.id = id;
}

/* FNV-1a of an IPv6 address: its stand-in among the outer endpoints. */
static uint32_t pkt_addr_hash(const uint8_t *a)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

/*
 * A tunnel named by the enclosing IP header's endpoints, the lower one
 * first: both directions of a connection are in the same tunnel.
 */
static void pkt_tunnel_outer(const struct pkt_ctx *x, struct flow_seg *seg,
			     enum seg_tunnel_kind kind)
{
	uint8_t a[4], b[4];

	memset(&seg->tunnel, 0, sizeof(seg->tunnel));
	seg->tunnel.kind = (uint8_t)kind;
	seg->tunnel.outer_family = x->ip_family;
	if (x->ip_family == SEG_IPV4) {
		memcpy(a, x->ip_src, 4);
		memcpy(b, x->ip_dst, 4);
	} else {
		uint32_t s = htonl(pkt_addr_hash(x->ip_src));
		uint32_t d = htonl(pkt_addr_hash(x->ip_dst));

		memcpy(a, &s, 4);
		memcpy(b, &d, 4);
	}
	if (memcmp(a, b, 4) > 0) {
		memcpy(seg->tunnel.outer, b, 4);
		memcpy(seg->tunnel.outer + 4, a, 4);
	} else {
		memcpy(seg->tunnel.outer, a, 4);
		memcpy(seg->tunnel.outer + 4, b, 4);
	}
}

/* IP protocol 4: IPv4 inside IPv4 or IPv6 (RFC 2003, RFC 2473). */
static enum pkt_status pkt_enc_ipip(struct pkt_ctx *x, struct pkt_cursor *c,
				    struct flow_seg *seg)
{
	pkt_tunnel_outer(x, seg, SEG_TUN_IPIP);
	return pkt_ipv4(x, c, seg);
}

/* IP protocol 41: IPv6 inside IPv4 or IPv6 (RFC 4213, RFC 2473). */
static enum pkt_status pkt_enc_ip6ip(struct pkt_ctx *x, struct pkt_cursor *c,
				     struct flow_seg *seg)
{
	pkt_tunnel_outer(x, seg, SEG_TUN_IP6IP);
	return pkt_ipv6(x, c, seg);
}

/*
 * GRE (RFC 2784, RFC 2890): flags C, R, K, S, version 0, protocol type;
 * then checksum + offset (C or R), key (K), sequence (S). Source routing
 * (R, RFC 1701) and version 1 (PPTP) carry no TCP we read.
 */
static enum pkt_status pkt_enc_gre(struct pkt_ctx *x, struct pkt_cursor *c,
				   struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, 4), *k = NULL;
	uint16_t fl;

	if (!h)
		return PKT_TRUNCATED;
	fl = pkt_rd16(h);
	if ((fl & 0x0007) || (fl & 0x4000))
		return PKT_NOT_TCP;
	if ((fl & 0x8000) && !pkt_cur_pull(c, 4))
		return PKT_TRUNCATED;
	if (fl & 0x2000) {
		k = pkt_cur_pull(c, 4);
		if (!k)
			return PKT_TRUNCATED;
	}
	if ((fl & 0x1000) && !pkt_cur_pull(c, 4))
		return PKT_TRUNCATED;
	if (k)
		pkt_tunnel_id(seg, SEG_TUN_GRE, pkt_rd32(k));
	else
		pkt_tunnel_outer(x, seg, SEG_TUN_GRE);
	x->gre_seq = (fl & 0x1000) != 0;
	return pkt_ethertype(x, c, pkt_rd16(h + 2), seg);
}

/* EtherType 0x6558, transparent Ethernet bridging: a whole frame. */
static enum pkt_status pkt_enc_teb(struct pkt_ctx *x, struct pkt_cursor *c,
				   struct flow_seg *seg)
{
	return pkt_eth(x, c, seg);
}

/*
 * EtherType 0x88be in GRE: ERSPAN type I when the GRE header had no
 * sequence number (the frame follows at once), type II when it had one
 * (an 8-byte header: version 1, VLAN, CoS, En, T, session id...).
 */
static enum pkt_status pkt_enc_erspan2(struct pkt_ctx *x, struct pkt_cursor *c,
				       struct flow_seg *seg)
{
	const uint8_t *h;

	if (!x->gre_seq)
		return pkt_eth(x, c, seg);
	h = pkt_cur_pull(c, 8);
	if (!h)
		return PKT_TRUNCATED;
	if ((h[0] >> 4) != 1)
		return PKT_NOT_IP;
	pkt_tunnel_id(seg, SEG_TUN_ERSPAN, pkt_rd16(h + 2) & 0x03ff);
	return pkt_eth(x, c, seg);
}

/*
 * EtherType 0x22eb: ERSPAN type III, a 12-byte header (version 2,
 * session id, timestamp, SGT, flags) and, with the O flag, an 8-byte
 * platform-specific subheader; a frame type other than 0 (Ethernet) is
 * not read.
 */
static enum pkt_status pkt_enc_erspan3(struct pkt_ctx *x, struct pkt_cursor *c,
				       struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, 12);

	if (!h)
		return PKT_TRUNCATED;
	if ((h[0] >> 4) != 2)
		return PKT_NOT_IP;
	if ((h[10] >> 2) & 0x1f) /* FT: not Ethernet */
		return PKT_NOT_IP;
	if ((h[11] & 0x01) && !pkt_cur_pull(c, 8))
		return PKT_TRUNCATED;
	pkt_tunnel_id(seg, SEG_TUN_ERSPAN, pkt_rd16(h + 2) & 0x03ff);
	return pkt_eth(x, c, seg);
}

/*
 * MPLS (RFC 3032), EtherTypes 0x8847 and 0x8848: label stack entries up
 * to the one with the bottom-of-stack bit; no field says what follows,
 * so the first nibble is taken for the IP version (as routers do for
 * explicit-null and VPN labels). The bottom label names the tunnel.
 */
static enum pkt_status pkt_enc_mpls(struct pkt_ctx *x, struct pkt_cursor *c,
				    struct flow_seg *seg)
{
	const uint8_t *e;
	int n = 0;

	do {
		e = pkt_cur_pull(c, 4);
		if (!e)
			return PKT_TRUNCATED;
		if (++n > PKT_MPLS_LABELS)
			return PKT_MALFORMED;
	} while (!(e[2] & 0x01));
	pkt_tunnel_id(seg, SEG_TUN_MPLS, pkt_rd32(e) >> 12);
	e = pkt_cur_peek(c, 1);
	if (!e)
		return PKT_TRUNCATED;
	switch (e[0] >> 4) {
	case 4:
		return pkt_ipv4(x, c, seg);
	case 6:
		return pkt_ipv6(x, c, seg);
	}
	return PKT_NOT_IP; /* a pseudowire control word, ... */
}

/*
 * PPPoE session stage (RFC 2516), EtherType 0x8864: version/type 0x11,
 * code 0, session id, length; then the PPP protocol (RFC 1661): 0x0021
 * IPv4, 0x0057 IPv6.
 */
static enum pkt_status pkt_enc_pppoe(struct pkt_ctx *x, struct pkt_cursor *c,
				     struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, 8);

	if (!h)
		return PKT_TRUNCATED;
	if (h[0] != 0x11 || h[1] != 0)
		return PKT_MALFORMED;
	pkt_tunnel_id(seg, SEG_TUN_PPPOE, pkt_rd16(h + 2));
	switch (pkt_rd16(h + 6)) {
	case 0x0021:
		return pkt_ipv4(x, c, seg);
	case 0x0057:
		return pkt_ipv6(x, c, seg);
	}
	return PKT_NOT_IP; /* LCP, IPCP, ... */
}

/* UDP (RFC 768): a tunnel when its destination port names one. */
static enum pkt_status pkt_enc_udp(struct pkt_ctx *x, struct pkt_cursor *c,
				   struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, PKT_UDP_HLEN);
	const struct pkt_encap *e;

	if (!h)
		return PKT_NOT_TCP; /* a cut datagram: not ours to count */
	e = pkt_encap_find(PKT_BY_UDPPORT, pkt_rd16(h + 2));
	return e ? pkt_encap_run(x, c, e, seg) : PKT_NOT_TCP;
}

/* VXLAN (RFC 7348), UDP 4789: flags with I set, VNI, then a frame. */
static enum pkt_status pkt_enc_vxlan(struct pkt_ctx *x, struct pkt_cursor *c,
				     struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, 8);

	if (!h)
		return PKT_TRUNCATED;
	if (!(h[0] & 0x08))
		return PKT_MALFORMED;
	pkt_tunnel_id(seg, SEG_TUN_VXLAN, pkt_rd32(h + 4) >> 8);
	return pkt_eth(x, c, seg);
}

/*
 * Geneve (RFC 8926), UDP 6081: version 0, options length in 4-byte
 * words, protocol type (an EtherType, 0x6558 for a frame), VNI.
 */
static enum pkt_status pkt_enc_geneve(struct pkt_ctx *x, struct pkt_cursor *c,
				      struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, 8);

	if (!h)
		return PKT_TRUNCATED;
	if (h[0] >> 6)
		return PKT_MALFORMED;
	if ((h[0] & 0x3f) && !pkt_cur_pull(c, (uint32_t)(h[0] & 0x3f) * 4))
		return PKT_TRUNCATED;
	pkt_tunnel_id(seg, SEG_TUN_GENEVE, pkt_rd32(h + 4) >> 8);
	return pkt_ethertype(x, c, pkt_rd16(h + 2), seg);
}

/* Every encapsulation read, one row each. */
static const struct pkt_encap pkt_encaps[] = {
	{PKT_BY_ETHERTYPE, 0x8847, pkt_enc_mpls},    /* MPLS unicast */
	{PKT_BY_ETHERTYPE, 0x8848, pkt_enc_mpls},    /* MPLS multicast */
	{PKT_BY_ETHERTYPE, 0x8864, pkt_enc_pppoe},   /* PPPoE session */
	{PKT_BY_ETHERTYPE, 0x6558, pkt_enc_teb},     /* bridged Ethernet */
	{PKT_BY_ETHERTYPE, 0x88be, pkt_enc_erspan2}, /* ERSPAN I, II */
	{PKT_BY_ETHERTYPE, 0x22eb, pkt_enc_erspan3}, /* ERSPAN III */
	{PKT_BY_IPPROTO, 4, pkt_enc_ipip},	     /* IPv4 in IP */
	{PKT_BY_IPPROTO, 41, pkt_enc_ip6ip},	     /* IPv6 in IP */
	{PKT_BY_IPPROTO, 47, pkt_enc_gre},	     /* GRE */
	{PKT_BY_IPPROTO, PKT_IP_UDP, pkt_enc_udp},   /* UDP: by port */
	{PKT_BY_UDPPORT, 4789, pkt_enc_vxlan},	     /* VXLAN */
	{PKT_BY_UDPPORT, 6081, pkt_enc_geneve},	     /* Geneve */
};

static const struct pkt_encap *pkt_encap_find(enum pkt_by by, uint16_t value)
{
	for (size_t i = 0; i < sizeof(pkt_encaps) / sizeof(pkt_encaps[0]); i++)
		if (pkt_encaps[i].by == by && pkt_encaps[i].value == value)
			return &pkt_encaps[i];
	return NULL;
}

static enum pkt_status pkt_encap_run(struct pkt_ctx *x, struct pkt_cursor *c,
				     const struct pkt_encap *e,
				     struct flow_seg *seg)
{
	enum pkt_status st;

	if (x->depth >= PKT_ENCAP_DEPTH)
		return PKT_MALFORMED;
	x->depth++;
	st = e->fn(x, c, seg);
	x->depth--;
	return st;
}

/* Raw IP: the version nibble says which. */
static enum pkt_status pkt_raw(struct pkt_ctx *x, struct pkt_cursor *c,
			       struct flow_seg *seg)
{
	const uint8_t *ip = pkt_cur_peek(c, 1);

	if (!ip)
		return PKT_TRUNCATED;
	switch (ip[0] >> 4) {
	case 4:
		return pkt_ipv4(x, c, seg);
	case 6:
		return pkt_ipv6(x, c, seg);
	}
	return PKT_NOT_IP;
}

/*
 * BSD loopback: a 4-byte address family, in the capturing host's byte
 * order for DLT_NULL and in network order for DLT_LOOP. Files travel
 * between machines, so both are read either way: every AF value fits in
 * 16 bits, hence a value with high bits set is the other byte order.
 */
static enum pkt_status pkt_null(struct pkt_ctx *x, struct pkt_cursor *c,
				struct flow_seg *seg)
{
	const uint8_t *h = pkt_cur_pull(c, PKT_NULL_HLEN);
	uint32_t af;

	if (!h)
		return PKT_TRUNCATED;
	af = pkt_rd32(h);
	if (af & 0xffff0000u)
		af = (uint32_t)h[0] | (uint32_t)h[1] << 8 |
		     (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	switch (af) {
	case 2: /* AF_INET everywhere */
		return pkt_ipv4(x, c, seg);
	case 10: /* AF_INET6: Linux */
	case 24: /* NetBSD, OpenBSD, BSD/OS */
	case 28: /* FreeBSD, DragonFly */
	case 30: /* macOS */
		return pkt_ipv6(x, c, seg);
	}
	return PKT_NOT_IP;
}

enum pkt_status pkt_decode(int dlt, const uint8_t *data, uint32_t caplen,
			   uint32_t wirelen, struct flow_seg *seg)
{
	struct pkt_cursor c = {
		.pos = data,
		.left = caplen,
		.start = data,
		.wire = wirelen > caplen ? wirelen : caplen,
	};
	struct pkt_ctx x = {0};
	const uint8_t *h;

	memset(&seg->tunnel, 0, sizeof(seg->tunnel));
	switch (dlt) {
	case DLT_EN10MB:
		h = pkt_cur_pull(&c, PKT_ETH_HLEN);
		if (!h)
			return PKT_TRUNCATED;
		return pkt_ethertype(&x, &c, pkt_rd16(h + 12), seg);
	case DLT_LINUX_SLL:
		/*
		 * type(2) ARPHRD(2) addrlen(2) addr(8) protocol(2). The
		 * protocol is an EtherType for every ARPHRD but netlink;
		 * values below 0x0600 are LINUX_SLL_P_* pseudo protocols
		 * and fall out as PKT_NOT_IP.
		 */
		h = pkt_cur_pull(&c, PKT_SLL_HLEN);
		if (!h)
			return PKT_TRUNCATED;
		if (pkt_rd16(h + 2) == PKT_ARPHRD_NETLINK)
			return PKT_NOT_IP;
		return pkt_ethertype(&x, &c, pkt_rd16(h + 14), seg);
	case PKT_DLT_LINUX_SLL2:
		/* protocol(2) reserved(2) ifindex(4) ARPHRD(2) type(1)... */
		h = pkt_cur_pull(&c, PKT_SLL2_HLEN);
		if (!h)
			return PKT_TRUNCATED;
		if (pkt_rd16(h + 8) == PKT_ARPHRD_NETLINK)
			return PKT_NOT_IP;
		return pkt_ethertype(&x, &c, pkt_rd16(h), seg);
#if PKT_DLT_LOOP != PKT_DLT_RAW_12
	case PKT_DLT_RAW_12:
#endif
	case PKT_DLT_RAW_14:
	case PKT_LINKTYPE_RAW:
		return pkt_raw(&x, &c, seg);
	case PKT_DLT_IPV4:
		return pkt_ipv4(&x, &c, seg);
	case PKT_DLT_IPV6:
		return pkt_ipv6(&x, &c, seg);
	case DLT_NULL:
	case PKT_DLT_LOOP:
		return pkt_null(&x, &c, seg);
	}
	return PKT_UNSUPPORTED_LINK;
}

int pkt_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case PKT_DLT_LINUX_SLL2:
#if PKT_DLT_LOOP != PKT_DLT_RAW_12
	case PKT_DLT_RAW_12:
#endif
	case PKT_DLT_RAW_14:
	case PKT_LINKTYPE_RAW:
	case PKT_DLT_IPV4:
	case PKT_DLT_IPV6:
	case DLT_NULL:
	case PKT_DLT_LOOP:
		return 1;
	}
	return 0;
}

const char *pkt_status_name(enum pkt_status st)
{
	static const char *const names[PKT__COUNT] = {
		[PKT_OK] = "ok",
		[PKT_NOT_IP] = "not-ip",
		[PKT_NOT_TCP] = "not-tcp",
		[PKT_FRAGMENT] = "fragment",
		[PKT_TRUNCATED] = "truncated",
		[PKT_MALFORMED] = "malformed",
		[PKT_UNSUPPORTED_LINK] = "unsupported-link",
	};

	if ((unsigned int)st >= PKT__COUNT)
		return "unknown";
	return names[st];
}
