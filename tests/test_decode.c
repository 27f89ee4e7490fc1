/* SPDX-License-Identifier: MIT */
/*
 * Decoder tests on hand-built frames. fr_build() writes a whole frame
 * (link header, optional VLAN tags, IPv4 with options or IPv6 with
 * extension headers, then TCP/UDP/ICMP) from a struct fspec, so each test
 * states only what differs from a plain TCP segment. Every decode runs on
 * a heap copy of exactly caplen bytes, so that AddressSanitizer reports
 * any read past the captured length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <pcap/dlt.h>

#include "capture/decode.h"

/* Raw IP numbers as pcap_datalink() may report them (see decode.c). */
#define T_DLT_RAW_12 12
#define T_DLT_RAW_14 14
#define T_LINKTYPE_RAW 101
#define T_DLT_IPV4 228
#define T_DLT_IPV6 229

#define T_PROTO_ICMP 1
#define T_PROTO_TCP 6
#define T_PROTO_UDP 17
#define T_PROTO_ESP 50
#define T_PROTO_AH 51
#define T_PROTO_ICMPV6 58
#define T_PROTO_NONE 59
#define T_EXT_HOP 0
#define T_EXT_ROUTING 43
#define T_EXT_FRAG 44
#define T_EXT_DST 60

#define T_WALL_NS 0x1122334455667788ull
#define T_FRAME 4242u

#define FR_MAX 2048

static const uint8_t v4_src[4] = { 192, 0, 2, 1 };
static const uint8_t v4_dst[4] = { 198, 51, 100, 2 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab,
				    [15] = 2 };

/* What to put in a frame; fr_spec() gives a plain TCP segment. */
struct fspec {
	int family;           /* SEG_IPV4 or SEG_IPV6 */
	uint8_t proto;        /* transport protocol number */
	uint8_t ip_opt_len;   /* IPv4 option bytes, a multiple of 4 */
	uint16_t frag;        /* IPv4 flags|offset, or IPv6 offset|M */
	uint8_t exts[6];      /* IPv6 extension headers, in order */
	int nexts;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint8_t tcp_opt_len;  /* a multiple of 4 */
	uint16_t payload_len;
	uint16_t tags[4];     /* VLAN TPIDs, outermost first */
	int ntags;
	uint16_t ethertype;   /* 0: from family */
	uint16_t hatype;      /* SLL/SLL2 ARPHRD type; 0: ARPHRD_ETHER */
	uint32_t af;          /* loopback address family; 0: from family */
	int af_swapped;       /* write the loopback AF in the other order */
};

struct frame {
	uint8_t b[FR_MAX];
	uint32_t len;
	uint32_t ip_off;      /* offset of the IP header */
	uint32_t l4_off;      /* offset of the transport header */
};

static struct fspec fr_spec(int family)
{
	struct fspec s = {
		.family = family,
		.proto = T_PROTO_TCP,
		.sport = 49374,
		.dport = 443,
		.seq = 0xfedcba98u,
		.ack = 0x01234567u,
		.flags = SEG_ACK | SEG_PSH,
		.window = 0xabcd,
		.tcp_opt_len = 12,
		.payload_len = 100,
	};
	return s;
}

static void put8(struct frame *f, uint8_t v)
{
	cr_assert_lt(f->len, FR_MAX);
	f->b[f->len++] = v;
}

static void put16(struct frame *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void put_bytes(struct frame *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, p[i]);
}

static void put_fill(struct frame *f, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, v);
}

static void poke16(struct frame *f, uint32_t off, uint16_t v)
{
	f->b[off] = v >> 8;
	f->b[off + 1] = v & 0xff;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t fr_l4_len(const struct fspec *s)
{
	if (s->proto == T_PROTO_TCP)
		return 20u + s->tcp_opt_len + s->payload_len;
	return 8u + s->payload_len;
}

static uint32_t fr_ext_len(uint8_t type)
{
	switch (type) {
	case T_EXT_FRAG:
		return 8;
	case T_PROTO_AH:
		return 24;
	}
	return 16;
}

/* Link header with the first type (a TPID or the EtherType), then tags. */
static void fr_link(struct frame *f, int dlt, const struct fspec *s)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa };
	static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0xb };
	uint16_t type = s->ethertype ? s->ethertype :
		s->family == SEG_IPV4 ? 0x0800 : 0x86dd;
	uint16_t first = s->ntags ? s->tags[0] : type;
	uint16_t hatype = s->hatype ? s->hatype : 1;
	uint32_t af = s->af ? s->af : s->family == SEG_IPV4 ? 2 : 10;
	int tagged = 0;

	switch (dlt) {
	case DLT_EN10MB:
		put_bytes(f, mac_b, 6);
		put_bytes(f, mac_a, 6);
		put16(f, first);
		tagged = 1;
		break;
	case DLT_LINUX_SLL:
		put16(f, 0);            /* sent to us */
		put16(f, hatype);
		put16(f, 6);
		put_bytes(f, mac_a, 6);
		put_fill(f, 0, 2);
		put16(f, first);
		tagged = 1;
		break;
	case DLT_LINUX_SLL2:
		put16(f, first);
		put16(f, 0);
		put32(f, 7);            /* ifindex */
		put16(f, hatype);
		put8(f, 0);
		put8(f, 6);
		put_bytes(f, mac_a, 6);
		put_fill(f, 0, 2);
		tagged = 1;
		break;
	case DLT_NULL: {
		/* Host byte order, as the capturing machine wrote it. */
		uint32_t v = s->af_swapped ? __builtin_bswap32(af) : af;
		uint8_t raw[4];

		memcpy(raw, &v, 4);
		put_bytes(f, raw, 4);
		break;
	}
	case DLT_LOOP:
		put32(f, s->af_swapped ? __builtin_bswap32(af) : af);
		break;
	}
	if (!tagged)
		return;
	for (int i = 0; i < s->ntags; i++) {
		put16(f, (uint16_t)(100 + i)); /* PCP 0, VID 100+i */
		put16(f, i + 1 < s->ntags ? s->tags[i + 1] : type);
	}
}

static void fr_ipv4(struct frame *f, const struct fspec *s)
{
	uint32_t hlen = 20u + s->ip_opt_len;

	f->ip_off = f->len;
	put8(f, (uint8_t)(0x40 | hlen / 4));
	put8(f, 0);
	put16(f, (uint16_t)(hlen + fr_l4_len(s)));
	put16(f, 0x1234);
	put16(f, s->frag);
	put8(f, 64);
	put8(f, s->proto);
	put16(f, 0);
	put_bytes(f, v4_src, 4);
	put_bytes(f, v4_dst, 4);
	if (s->ip_opt_len) {
		put_fill(f, 1, s->ip_opt_len - 1u); /* NOP ... */
		put8(f, 0);                         /* ... EOL */
	}
	poke16(f, f->ip_off + 10,
	       csum_fold(csum_add(0, f->b + f->ip_off, hlen)));
}

static void fr_ipv6(struct frame *f, const struct fspec *s)
{
	uint32_t ext_total = 0;

	for (int i = 0; i < s->nexts; i++)
		ext_total += fr_ext_len(s->exts[i]);
	f->ip_off = f->len;
	put32(f, 0x60000000u);
	put16(f, (uint16_t)(ext_total + fr_l4_len(s)));
	put8(f, s->nexts ? s->exts[0] : s->proto);
	put8(f, 64);
	put_bytes(f, v6_src, 16);
	put_bytes(f, v6_dst, 16);
	for (int i = 0; i < s->nexts; i++) {
		uint8_t next = i + 1 < s->nexts ? s->exts[i + 1] : s->proto;

		put8(f, next);
		switch (s->exts[i]) {
		case T_EXT_FRAG:
			put8(f, 0);
			put16(f, s->frag);
			put32(f, 0xabcd1234u);
			break;
		case T_PROTO_AH:
			put8(f, 4);     /* (4 + 2) * 4 = 24 bytes */
			put16(f, 0);
			put32(f, 0x100);        /* SPI */
			put32(f, 1);            /* sequence */
			put_fill(f, 0xcc, 12);  /* ICV */
			break;
		default:
			put8(f, 1);     /* (1 + 1) * 8 = 16 bytes */
			put8(f, 1);     /* PadN, or routing type */
			put8(f, 12);
			put_fill(f, 0, 12);
			break;
		}
	}
}

static void fr_transport(struct frame *f, const struct fspec *s)
{
	uint32_t l4len = fr_l4_len(s);
	uint32_t sum;

	f->l4_off = f->len;
	if (s->proto == T_PROTO_TCP) {
		put16(f, s->sport);
		put16(f, s->dport);
		put32(f, s->seq);
		put32(f, s->ack);
		put8(f, (uint8_t)((20 + s->tcp_opt_len) / 4 << 4));
		put8(f, s->flags);
		put16(f, s->window);
		put16(f, 0);
		put16(f, 0);
		put_fill(f, 1, s->tcp_opt_len); /* NOPs */
	} else {
		put16(f, s->sport);
		put16(f, s->dport);
		put16(f, (uint16_t)l4len);
		put16(f, 0);
	}
	for (uint32_t i = 0; i < s->payload_len; i++)
		put8(f, (uint8_t)('A' + i % 26));

	if (s->proto != T_PROTO_TCP)
		return;
	/* A correct checksum, so that the frames also open cleanly. */
	if (s->family == SEG_IPV4) {
		sum = csum_add(0, v4_src, 4);
		sum = csum_add(sum, v4_dst, 4);
	} else {
		sum = csum_add(0, v6_src, 16);
		sum = csum_add(sum, v6_dst, 16);
	}
	sum += T_PROTO_TCP + l4len;
	sum = csum_add(sum, f->b + f->l4_off, l4len);
	poke16(f, f->l4_off + 16, csum_fold(sum));
}

/* Builds the frame described by s for link type dlt into f. */
static void fr_build(struct frame *f, int dlt, const struct fspec *s)
{
	memset(f, 0, sizeof(*f));
	fr_link(f, dlt, s);
	if (s->family == SEG_IPV4)
		fr_ipv4(f, s);
	else
		fr_ipv6(f, s);
	fr_transport(f, s);
}

/*
 * Decodes the first caplen bytes of buf from an exact-size heap copy,
 * with sentinels in the fields the decoder must leave alone.
 */
static enum pkt_status decode_bytes(int dlt, const uint8_t *buf,
				    uint32_t caplen, uint32_t wirelen,
				    struct flow_seg *seg)
{
	uint8_t *copy = malloc(caplen);
	enum pkt_status st;

	cr_assert(copy || !caplen);
	if (caplen)
		memcpy(copy, buf, caplen);
	memset(seg, 0x5a, sizeof(*seg));
	seg->wall_ns = T_WALL_NS;
	seg->frame = T_FRAME;
	st = pkt_decode(dlt, copy, caplen, wirelen, seg);
	free(copy);
	return st;
}

/* Decodes f cut to caplen bytes; the wire length is the whole frame. */
static enum pkt_status decode_cut(int dlt, const struct frame *f,
				  uint32_t caplen, struct flow_seg *seg)
{
	return decode_bytes(dlt, f->b, caplen, f->len, seg);
}

static enum pkt_status decode(int dlt, const struct frame *f,
			      struct flow_seg *seg)
{
	return decode_cut(dlt, f, f->len, seg);
}

/* Checks a PKT_OK segment against the spec it was built from. */
static void expect_seg(const struct flow_seg *g, const struct fspec *s,
		       const struct frame *f, uint32_t caplen)
{
	static const uint8_t zero[12];

	cr_assert_eq(g->family, s->family);
	if (s->family == SEG_IPV4) {
		cr_assert_arr_eq(g->saddr, v4_src, 4);
		cr_assert_arr_eq(g->daddr, v4_dst, 4);
		cr_assert_arr_eq(g->saddr + 4, zero, 12);
		cr_assert_arr_eq(g->daddr + 4, zero, 12);
	} else {
		cr_assert_arr_eq(g->saddr, v6_src, 16);
		cr_assert_arr_eq(g->daddr, v6_dst, 16);
	}
	cr_assert_eq(g->sport, s->sport);
	cr_assert_eq(g->dport, s->dport);
	cr_assert_eq(g->seq, s->seq);
	cr_assert_eq(g->ack, s->ack);
	cr_assert_eq(g->flags, s->flags);
	if (caplen >= f->l4_off + 16)
		cr_assert_eq(g->window, s->window);
	cr_assert_eq(g->payload_len, s->payload_len);
	cr_assert_eq(g->snapped, caplen < f->len, "caplen %u of %u",
		     caplen, f->len);
	cr_assert_eq(g->wall_ns, T_WALL_NS);
	cr_assert_eq(g->frame, T_FRAME);
}

/* Builds s on dlt, decodes it whole and expects st (and the fields). */
static void check(int dlt, const struct fspec *s, enum pkt_status want)
{
	struct frame f;
	struct flow_seg g;
	enum pkt_status st;

	fr_build(&f, dlt, s);
	st = decode(dlt, &f, &g);
	cr_assert_eq(st, want, "dlt %d: got %s, want %s", dlt,
		     pkt_status_name(st), pkt_status_name(want));
	if (want == PKT_OK)
		expect_seg(&g, s, &f, f.len);
}

static void check_plain(int dlt, int family)
{
	struct fspec s = fr_spec(family);

	check(dlt, &s, PKT_OK);
}

/* Link types and the families each can carry. */
static const struct {
	int dlt;
	int v4, v6;
} links[] = {
	{ DLT_EN10MB, 1, 1 },   { DLT_LINUX_SLL, 1, 1 },
	{ DLT_LINUX_SLL2, 1, 1 }, { T_DLT_RAW_12, 1, 1 },
	{ T_DLT_RAW_14, 1, 1 }, { T_LINKTYPE_RAW, 1, 1 },
	{ T_DLT_IPV4, 1, 0 },   { T_DLT_IPV6, 0, 1 },
	{ DLT_NULL, 1, 1 },     { DLT_LOOP, 1, 1 },
};
#define NLINKS (sizeof(links) / sizeof(links[0]))

/* Every link type, IPv4 and IPv6. */

Test(decode, ethernet_ipv4_tcp)
{
	check_plain(DLT_EN10MB, SEG_IPV4);
}

Test(decode, ethernet_ipv6_tcp)
{
	check_plain(DLT_EN10MB, SEG_IPV6);
}

Test(decode, sll_ipv4_tcp)
{
	check_plain(DLT_LINUX_SLL, SEG_IPV4);
}

Test(decode, sll_ipv6_tcp)
{
	check_plain(DLT_LINUX_SLL, SEG_IPV6);
}

Test(decode, sll2_ipv4_tcp)
{
	check_plain(DLT_LINUX_SLL2, SEG_IPV4);
}

Test(decode, sll2_ipv6_tcp)
{
	check_plain(DLT_LINUX_SLL2, SEG_IPV6);
}

Test(decode, raw12_ipv4_tcp)
{
	check_plain(T_DLT_RAW_12, SEG_IPV4);
}

Test(decode, raw12_ipv6_tcp)
{
	check_plain(T_DLT_RAW_12, SEG_IPV6);
}

Test(decode, raw14_ipv4_tcp)
{
	check_plain(T_DLT_RAW_14, SEG_IPV4);
}

Test(decode, raw14_ipv6_tcp)
{
	check_plain(T_DLT_RAW_14, SEG_IPV6);
}

Test(decode, linktype_raw_ipv4_tcp)
{
	check_plain(T_LINKTYPE_RAW, SEG_IPV4);
}

Test(decode, linktype_raw_ipv6_tcp)
{
	check_plain(T_LINKTYPE_RAW, SEG_IPV6);
}

Test(decode, dlt_ipv4_tcp)
{
	check_plain(T_DLT_IPV4, SEG_IPV4);
}

Test(decode, dlt_ipv6_tcp)
{
	check_plain(T_DLT_IPV6, SEG_IPV6);
}

Test(decode, null_ipv4_tcp)
{
	check_plain(DLT_NULL, SEG_IPV4);
}

Test(decode, null_ipv6_tcp)
{
	check_plain(DLT_NULL, SEG_IPV6);
}

Test(decode, loop_ipv4_tcp)
{
	check_plain(DLT_LOOP, SEG_IPV4);
}

Test(decode, loop_ipv6_tcp)
{
	check_plain(DLT_LOOP, SEG_IPV6);
}

Test(decode, dlt_ipv4_rejects_ipv6_packet)
{
	struct fspec s = fr_spec(SEG_IPV6);

	check(T_DLT_IPV4, &s, PKT_MALFORMED);
	s = fr_spec(SEG_IPV4);
	check(T_DLT_IPV6, &s, PKT_MALFORMED);
}

Test(decode, ethernet_ipv4_ethertype_with_ipv6_packet_is_malformed)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.ethertype = 0x0800;
	check(DLT_EN10MB, &s, PKT_MALFORMED);
}

Test(decode, raw_unknown_ip_version_is_not_ip)
{
	struct fspec s = fr_spec(SEG_IPV4);
	struct frame f;
	struct flow_seg g;

	fr_build(&f, T_DLT_RAW_12, &s);
	f.b[0] = 0x55;
	cr_assert_eq(decode(T_DLT_RAW_12, &f, &g), PKT_NOT_IP);
}

/* Loopback byte orders and address families. */

Test(decode, null_both_byte_orders)
{
	for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
		struct fspec s = fr_spec(fam);

		check(DLT_NULL, &s, PKT_OK);
		s.af_swapped = 1;
		check(DLT_NULL, &s, PKT_OK);
	}
}

Test(decode, loop_both_byte_orders)
{
	for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
		struct fspec s = fr_spec(fam);

		check(DLT_LOOP, &s, PKT_OK);
		s.af_swapped = 1;
		check(DLT_LOOP, &s, PKT_OK);
	}
}

Test(decode, null_ipv6_af_of_every_os)
{
	static const uint32_t afs[] = { 10, 24, 28, 30 };

	for (size_t i = 0; i < 4; i++) {
		struct fspec s = fr_spec(SEG_IPV6);

		s.af = afs[i];
		check(DLT_NULL, &s, PKT_OK);
		check(DLT_LOOP, &s, PKT_OK);
		s.af_swapped = 1;
		check(DLT_NULL, &s, PKT_OK);
	}
}

Test(decode, null_unknown_af_is_not_ip)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.af = 7;
	check(DLT_NULL, &s, PKT_NOT_IP);
	s.af_swapped = 1;
	check(DLT_NULL, &s, PKT_NOT_IP);
	s.af = 23; /* IPX in LINKTYPE_NULL / LINKTYPE_LOOP */
	s.af_swapped = 0;
	check(DLT_LOOP, &s, PKT_NOT_IP);
}

/* VLAN and QinQ. */

Test(decode, vlan_single_tag)
{
	for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
		struct fspec s = fr_spec(fam);

		s.tags[0] = 0x8100;
		s.ntags = 1;
		check(DLT_EN10MB, &s, PKT_OK);
	}
}

Test(decode, qinq_double_tag)
{
	static const uint16_t outer[] = { 0x88a8, 0x9100, 0x8100 };

	for (size_t i = 0; i < 3; i++) {
		for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
			struct fspec s = fr_spec(fam);

			s.tags[0] = outer[i];
			s.tags[1] = 0x8100;
			s.ntags = 2;
			check(DLT_EN10MB, &s, PKT_OK);
		}
	}
}

Test(decode, vlan_stack_of_four_tags)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.tags[0] = 0x88a8;
	s.tags[1] = 0x9100;
	s.tags[2] = 0x8100;
	s.tags[3] = 0x8100;
	s.ntags = 4;
	check(DLT_EN10MB, &s, PKT_OK);
}

Test(decode, vlan_tag_in_cooked_captures)
{
	for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
		struct fspec s = fr_spec(fam);

		s.tags[0] = 0x8100;
		s.ntags = 1;
		check(DLT_LINUX_SLL, &s, PKT_OK);
		check(DLT_LINUX_SLL2, &s, PKT_OK);
	}
}

Test(decode, vlan_tagged_arp_is_not_ip)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.tags[0] = 0x8100;
	s.ntags = 1;
	s.ethertype = 0x0806;
	check(DLT_EN10MB, &s, PKT_NOT_IP);
}

/* Not IP. */

Test(decode, arp_is_not_ip)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.ethertype = 0x0806;
	check(DLT_EN10MB, &s, PKT_NOT_IP);
	check(DLT_LINUX_SLL, &s, PKT_NOT_IP);
	check(DLT_LINUX_SLL2, &s, PKT_NOT_IP);
}

Test(decode, ieee8023_length_field_is_not_ip)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.ethertype = 0x05dc;
	check(DLT_EN10MB, &s, PKT_NOT_IP);
}

Test(decode, sll_arphrd_types)
{
	/* Loopback and tun (ARPHRD_NONE) carry EtherTypes as usual. */
	static const uint16_t hatypes[] = { 772, 65534, 778 };

	for (size_t i = 0; i < 3; i++) {
		struct fspec s = fr_spec(SEG_IPV4);

		s.hatype = hatypes[i];
		check(DLT_LINUX_SLL, &s, PKT_OK);
		check(DLT_LINUX_SLL2, &s, PKT_OK);
	}
}

Test(decode, sll_netlink_is_not_ip)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.hatype = 824;
	check(DLT_LINUX_SLL, &s, PKT_NOT_IP);
	check(DLT_LINUX_SLL2, &s, PKT_NOT_IP);
	s.ethertype = 0x0000; /* NETLINK_ROUTE */
	check(DLT_LINUX_SLL, &s, PKT_NOT_IP);
}

Test(decode, sll_pseudo_protocol_is_not_ip)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.ethertype = 0x0004; /* LINUX_SLL_P_802_2 */
	check(DLT_LINUX_SLL, &s, PKT_NOT_IP);
	check(DLT_LINUX_SLL2, &s, PKT_NOT_IP);
}

/* IPv4 options, IPv6 extension headers. */

Test(decode, ipv4_options)
{
	static const uint8_t lens[] = { 4, 12, 40 };

	for (size_t i = 0; i < 3; i++) {
		struct fspec s = fr_spec(SEG_IPV4);

		s.ip_opt_len = lens[i];
		check(DLT_EN10MB, &s, PKT_OK);
		check(T_DLT_IPV4, &s, PKT_OK);
	}
}

Test(decode, ipv6_hop_dst_routing_chain)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.exts[0] = T_EXT_HOP;
	s.exts[1] = T_EXT_DST;
	s.exts[2] = T_EXT_ROUTING;
	s.exts[3] = T_EXT_DST;
	s.nexts = 4;
	check(DLT_EN10MB, &s, PKT_OK);
	check(T_DLT_IPV6, &s, PKT_OK);
}

Test(decode, ipv6_ah)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.exts[0] = T_EXT_HOP;
	s.exts[1] = T_PROTO_AH;
	s.nexts = 2;
	check(DLT_EN10MB, &s, PKT_OK);
}

Test(decode, ipv6_esp_and_no_next_header_are_not_tcp)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.exts[0] = T_EXT_HOP;
	s.exts[1] = T_PROTO_ESP;
	s.nexts = 2;
	check(DLT_EN10MB, &s, PKT_NOT_TCP);
	s.exts[1] = T_PROTO_NONE;
	check(DLT_EN10MB, &s, PKT_NOT_TCP);
}

/* Fragments. */

Test(decode, ipv4_first_fragment_decoded)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.frag = 0x2000; /* MF, offset 0 */
	check(DLT_EN10MB, &s, PKT_OK);
	s.frag = 0x4000; /* DF */
	check(DLT_EN10MB, &s, PKT_OK);
}

Test(decode, ipv4_non_first_fragment)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.frag = 0x2000 | 185; /* MF, offset 1480 */
	check(DLT_EN10MB, &s, PKT_FRAGMENT);
	s.frag = 185;          /* last fragment */
	check(DLT_EN10MB, &s, PKT_FRAGMENT);
	s.frag = 1;
	check(T_DLT_IPV4, &s, PKT_FRAGMENT);
}

Test(decode, ipv4_non_first_udp_fragment_is_not_tcp)
{
	struct fspec s = fr_spec(SEG_IPV4);

	s.proto = T_PROTO_UDP;
	s.frag = 185;
	check(DLT_EN10MB, &s, PKT_NOT_TCP);
}

Test(decode, ipv6_first_fragment_decoded)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.exts[0] = T_EXT_FRAG;
	s.nexts = 1;
	s.frag = 0x0001; /* M, offset 0 */
	check(DLT_EN10MB, &s, PKT_OK);
	s.exts[0] = T_EXT_HOP;
	s.exts[1] = T_EXT_FRAG;
	s.exts[2] = T_EXT_DST;
	s.nexts = 3;
	check(DLT_EN10MB, &s, PKT_OK);
}

Test(decode, ipv6_non_first_fragment)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.exts[0] = T_EXT_FRAG;
	s.nexts = 1;
	s.frag = (1448 / 8) << 3 | 1;
	check(DLT_EN10MB, &s, PKT_FRAGMENT);
	s.frag = (1448 / 8) << 3;
	check(T_DLT_IPV6, &s, PKT_FRAGMENT);
	s.exts[0] = T_EXT_HOP;
	s.exts[1] = T_EXT_FRAG;
	s.exts[2] = T_EXT_DST;
	s.nexts = 3;
	check(DLT_EN10MB, &s, PKT_FRAGMENT);
}

Test(decode, ipv6_non_first_udp_fragment_is_not_tcp)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.proto = T_PROTO_UDP;
	s.exts[0] = T_EXT_FRAG;
	s.nexts = 1;
	s.frag = 8 << 3;
	check(DLT_EN10MB, &s, PKT_NOT_TCP);
}

/* Not TCP. */

Test(decode, udp_and_icmp_are_not_tcp)
{
	static const uint8_t v4[] = { T_PROTO_UDP, T_PROTO_ICMP };
	static const uint8_t v6[] = { T_PROTO_UDP, T_PROTO_ICMPV6 };

	for (size_t i = 0; i < 2; i++) {
		struct fspec s = fr_spec(SEG_IPV4);

		s.proto = v4[i];
		for (size_t l = 0; l < NLINKS; l++)
			if (links[l].v4)
				check(links[l].dlt, &s, PKT_NOT_TCP);
		s = fr_spec(SEG_IPV6);
		s.proto = v6[i];
		for (size_t l = 0; l < NLINKS; l++)
			if (links[l].v6)
				check(links[l].dlt, &s, PKT_NOT_TCP);
	}
}

Test(decode, ipv6_udp_after_extension_headers_is_not_tcp)
{
	struct fspec s = fr_spec(SEG_IPV6);

	s.proto = T_PROTO_UDP;
	s.exts[0] = T_EXT_HOP;
	s.exts[1] = T_EXT_DST;
	s.nexts = 2;
	check(DLT_EN10MB, &s, PKT_NOT_TCP);
}

/* Malformed. */

Test(decode, ipv4_bad_ihl)
{
	struct fspec s = fr_spec(SEG_IPV4);
	struct frame f;
	struct flow_seg g;

	fr_build(&f, DLT_EN10MB, &s);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		f.b[f.ip_off] = (uint8_t)(0x40 | ihl);
		cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED,
			     "ihl %u", ihl);
	}
}

Test(decode, tcp_bad_data_offset)
{
	for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
		struct fspec s = fr_spec(fam);
		struct frame f;
		struct flow_seg g;

		fr_build(&f, DLT_EN10MB, &s);
		for (uint8_t doff = 0; doff < 5; doff++) {
			f.b[f.l4_off + 12] = (uint8_t)(doff << 4);
			cr_assert_eq(decode(DLT_EN10MB, &f, &g),
				     PKT_MALFORMED, "doff %u", doff);
		}
	}
}

Test(decode, tcp_header_longer_than_ip_payload)
{
	struct fspec s = fr_spec(SEG_IPV4);
	struct frame f;
	struct flow_seg g;

	s.payload_len = 0;
	s.tcp_opt_len = 0;
	fr_build(&f, DLT_EN10MB, &s);
	f.b[f.l4_off + 12] = 15 << 4; /* 60 bytes, IP says 20 */
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED);
}

Test(decode, ipv4_total_length_smaller_than_headers)
{
	struct fspec s = fr_spec(SEG_IPV4);
	struct frame f;
	struct flow_seg g;

	s.ip_opt_len = 8;
	fr_build(&f, DLT_EN10MB, &s);
	/* Below the IP header itself. */
	poke16(&f, f.ip_off + 2, 20);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED);
	poke16(&f, f.ip_off + 2, 1);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED);
	/* IP header fits, TCP header (32 bytes) does not. */
	poke16(&f, f.ip_off + 2, 28 + 31);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED);
	/* Exactly the headers: a segment without payload. */
	poke16(&f, f.ip_off + 2, 28 + 32);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_OK);
	cr_assert_eq(g.payload_len, 0);
	cr_assert_eq(g.snapped, 0);
}

Test(decode, ipv6_payload_length_smaller_than_headers)
{
	struct fspec s = fr_spec(SEG_IPV6);
	struct frame f;
	struct flow_seg g;

	s.exts[0] = T_EXT_HOP;
	s.nexts = 1;
	fr_build(&f, DLT_EN10MB, &s);
	poke16(&f, f.ip_off + 4, 8); /* less than the 16-byte hop-by-hop */
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED);
	poke16(&f, f.ip_off + 4, 16 + 31);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED);
	poke16(&f, f.ip_off + 4, 16 + 32);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_OK);
	cr_assert_eq(g.payload_len, 0);
}

Test(decode, bad_checksums_still_ok)
{
	for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
		struct fspec s = fr_spec(fam);
		struct frame f;
		struct flow_seg g;

		fr_build(&f, DLT_EN10MB, &s);
		if (fam == SEG_IPV4)
			f.b[f.ip_off + 10] ^= 0xff;
		f.b[f.l4_off + 16] ^= 0x5a;
		f.b[f.l4_off + 17] ^= 0xa5;
		cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_OK);
		expect_seg(&g, &s, &f, f.len);
	}
}

/* Lengths: TSO, jumbograms, padding, header-only snap lengths. */

Test(decode, ipv4_total_length_zero_uses_wire_length)
{
	struct fspec s = fr_spec(SEG_IPV4);
	struct frame f;
	struct flow_seg g;
	uint32_t hdrs, caplen;

	fr_build(&f, DLT_EN10MB, &s);
	poke16(&f, f.ip_off + 2, 0);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_OK);
	cr_assert_eq(g.payload_len, s.payload_len);
	cr_assert_eq(g.snapped, 0);

	/* A 64 KiB TSO super-frame captured with a 128-byte snap length. */
	hdrs = f.l4_off + 20 + s.tcp_opt_len;
	caplen = 128;
	cr_assert_eq(decode_bytes(DLT_EN10MB, f.b, caplen, 65000, &g),
		     PKT_OK);
	cr_assert_eq(g.payload_len, 65000 - hdrs);
	cr_assert_eq(g.snapped, 1);
}

Test(decode, ipv6_payload_length_zero_uses_wire_length)
{
	struct fspec s = fr_spec(SEG_IPV6);
	struct frame f;
	struct flow_seg g;

	s.exts[0] = T_EXT_DST;
	s.nexts = 1;
	fr_build(&f, DLT_LINUX_SLL2, &s);
	poke16(&f, f.ip_off + 4, 0);
	cr_assert_eq(decode(DLT_LINUX_SLL2, &f, &g), PKT_OK);
	cr_assert_eq(g.payload_len, s.payload_len);
	cr_assert_eq(g.snapped, 0);
	cr_assert_eq(decode_bytes(DLT_LINUX_SLL2, f.b, 200, 100000, &g),
		     PKT_OK);
	cr_assert_eq(g.payload_len, 100000 - (f.l4_off + 32));
	cr_assert_eq(g.snapped, 1);
}

Test(decode, ethernet_padding_is_not_payload)
{
	struct fspec s = fr_spec(SEG_IPV4);
	struct frame f;
	struct flow_seg g;

	s.tcp_opt_len = 0;
	s.payload_len = 0;
	s.flags = SEG_FIN | SEG_ACK;
	fr_build(&f, DLT_EN10MB, &s);
	cr_assert_eq(f.len, 54);
	f.len = 60; /* minimum Ethernet frame, zero padded */
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_OK);
	cr_assert_eq(g.payload_len, 0);
	cr_assert_eq(g.snapped, 0);
	cr_assert_eq(g.flags, SEG_FIN | SEG_ACK);
}

Test(decode, headers_only_snap_length)
{
	for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
		struct fspec s = fr_spec(fam);
		struct frame f;
		struct flow_seg g;
		uint32_t hdrs;

		s.payload_len = 1400;
		fr_build(&f, DLT_EN10MB, &s);
		hdrs = f.l4_off + 20 + s.tcp_opt_len;
		cr_assert_eq(decode_cut(DLT_EN10MB, &f, hdrs, &g), PKT_OK);
		expect_seg(&g, &s, &f, hdrs);
		cr_assert_eq(g.snapped, 1);
		/* Cut inside the TCP options: still decoded. */
		cr_assert_eq(decode_cut(DLT_EN10MB, &f, f.l4_off + 20, &g),
			     PKT_OK);
		expect_seg(&g, &s, &f, f.l4_off + 20);
		/* Right after the flags byte: no window, still decoded. */
		cr_assert_eq(decode_cut(DLT_EN10MB, &f, f.l4_off + 14, &g),
			     PKT_OK);
		expect_seg(&g, &s, &f, f.l4_off + 14);
		cr_assert_eq(decode_cut(DLT_EN10MB, &f, f.l4_off + 13, &g),
			     PKT_TRUNCATED);
	}
}

/*
 * Every prefix of a full frame, on every link type: truncated exactly
 * while the TCP flags byte is missing, then decoded with correct fields.
 */
Test(decode, truncation_at_every_byte)
{
	for (size_t l = 0; l < NLINKS; l++) {
		for (int fam = SEG_IPV4; fam <= SEG_IPV6; fam += 2) {
			struct fspec s = fr_spec(fam);
			struct frame f;
			struct flow_seg g;

			if (!(fam == SEG_IPV4 ? links[l].v4 : links[l].v6))
				continue;
			s.payload_len = 40;
			if (fam == SEG_IPV4) {
				s.ip_opt_len = 12;
			} else {
				s.exts[0] = T_EXT_HOP;
				s.exts[1] = T_EXT_FRAG;
				s.exts[2] = T_PROTO_AH;
				s.exts[3] = T_EXT_DST;
				s.nexts = 4;
			}
			if (links[l].dlt == DLT_EN10MB) {
				s.tags[0] = 0x88a8;
				s.tags[1] = 0x8100;
				s.ntags = 2;
			}
			fr_build(&f, links[l].dlt, &s);
			for (uint32_t cap = 0; cap <= f.len; cap++) {
				enum pkt_status st =
					decode_cut(links[l].dlt, &f, cap, &g);

				if (cap < f.l4_off + 14) {
					cr_assert_eq(st, PKT_TRUNCATED,
						     "dlt %d fam %d cap %u: %s",
						     links[l].dlt, fam, cap,
						     pkt_status_name(st));
					continue;
				}
				cr_assert_eq(st, PKT_OK, "dlt %d cap %u: %s",
					     links[l].dlt, cap,
					     pkt_status_name(st));
				expect_seg(&g, &s, &f, cap);
			}
		}
	}
}

/* Link types, names. */

Test(decode, unknown_link_type)
{
	static const int bad[] = { -1, 2, 3, 9, 105, 127, 147, 1000, 65535 };
	struct fspec s = fr_spec(SEG_IPV4);
	struct frame f;
	struct flow_seg g;

	fr_build(&f, T_DLT_RAW_12, &s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(decode(bad[i], &f, &g), PKT_UNSUPPORTED_LINK);
		cr_assert_eq(decode_cut(bad[i], &f, 0, &g),
			     PKT_UNSUPPORTED_LINK);
		cr_assert_eq(pkt_link_supported(bad[i]), 0);
	}
}

Test(decode, link_supported)
{
	for (size_t l = 0; l < NLINKS; l++)
		cr_assert_eq(pkt_link_supported(links[l].dlt), 1, "dlt %d",
			     links[l].dlt);
	cr_assert_eq(pkt_link_supported(DLT_RAW), 1);
}

Test(decode, status_names)
{
	cr_assert_str_eq(pkt_status_name(PKT_OK), "ok");
	cr_assert_str_eq(pkt_status_name(PKT_NOT_IP), "not-ip");
	cr_assert_str_eq(pkt_status_name(PKT_NOT_TCP), "not-tcp");
	cr_assert_str_eq(pkt_status_name(PKT_FRAGMENT), "fragment");
	cr_assert_str_eq(pkt_status_name(PKT_TRUNCATED), "truncated");
	cr_assert_str_eq(pkt_status_name(PKT_MALFORMED), "malformed");
	cr_assert_str_eq(pkt_status_name(PKT_UNSUPPORTED_LINK),
			 "unsupported-link");
	cr_assert_str_eq(pkt_status_name(PKT__COUNT), "unknown");
	cr_assert_str_eq(pkt_status_name((enum pkt_status)-1), "unknown");
}

/* Robustness: random and mutated frames. */

static uint64_t rng_next(uint64_t *st)
{
	/* xorshift64* */
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 0x2545f4914f6cdd1dull;
}

static void check_sane(enum pkt_status st, const struct flow_seg *g,
		       int dlt, uint32_t len)
{
	if ((unsigned int)st >= PKT__COUNT)
		cr_assert_fail("dlt %d len %u: status %d", dlt, len, st);
	if (g->wall_ns != T_WALL_NS || g->frame != T_FRAME)
		cr_assert_fail("dlt %d len %u: wall_ns/frame touched", dlt,
			       len);
	if (st == PKT_OK &&
	    (g->family != SEG_IPV4 && g->family != SEG_IPV6))
		cr_assert_fail("dlt %d len %u: family %u", dlt, len,
			       g->family);
}

Test(decode, random_bytes)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	uint8_t buf[200];
	unsigned int ok = 0;

	for (size_t l = 0; l < NLINKS; l++) {
		for (int n = 0; n < 200000; n++) {
			uint32_t len = (uint32_t)(rng_next(&rng) % 201);
			struct flow_seg g;
			enum pkt_status st;

			for (uint32_t i = 0; i < len; i += 8) {
				uint64_t r = rng_next(&rng);

				memcpy(buf + i, &r,
				       len - i < 8 ? len - i : 8);
			}
			st = decode_bytes(links[l].dlt, buf, len,
					  len + (uint32_t)(rng_next(&rng) % 3),
					  &g);
			check_sane(st, &g, links[l].dlt, len);
			ok += st == PKT_OK;
		}
	}
	/* Raw IP and loopback make some random frames decodable. */
	cr_assert_gt(ok, 0);
}

Test(decode, mutated_frames)
{
	uint64_t rng = 0x0123456789abcdefull;
	unsigned int seen[PKT__COUNT] = { 0 };

	for (size_t l = 0; l < NLINKS; l++) {
		for (int n = 0; n < 50000; n++) {
			int fam = links[l].v4 &&
				(!links[l].v6 || rng_next(&rng) & 1) ?
				SEG_IPV4 : SEG_IPV6;
			struct fspec s = fr_spec(fam);
			struct frame f;
			struct flow_seg g;
			enum pkt_status st;
			uint32_t cap;
			int flips;

			s.payload_len = (uint16_t)(rng_next(&rng) % 64);
			if (fam == SEG_IPV4) {
				s.ip_opt_len =
					(uint8_t)(rng_next(&rng) % 3 * 4);
			} else {
				s.exts[0] = T_EXT_HOP;
				s.exts[1] = T_PROTO_AH;
				s.exts[2] = T_EXT_FRAG;
				s.nexts = (int)(rng_next(&rng) % 4);
			}
			if (links[l].dlt == DLT_EN10MB)
				s.ntags = (int)(rng_next(&rng) % 3);
			s.tags[0] = 0x88a8;
			s.tags[1] = 0x8100;
			fr_build(&f, links[l].dlt, &s);
			flips = 1 + (int)(rng_next(&rng) % 4);
			for (int i = 0; i < flips; i++) {
				uint64_t r = rng_next(&rng);

				f.b[r % f.len] = (uint8_t)(r >> 32);
			}
			cap = (uint32_t)(rng_next(&rng) % (f.len + 1));
			st = decode_cut(links[l].dlt, &f, cap, &g);
			check_sane(st, &g, links[l].dlt, cap);
			seen[st]++;
		}
	}
	cr_assert_gt(seen[PKT_OK], 0);
	cr_assert_gt(seen[PKT_TRUNCATED], 0);
	cr_assert_gt(seen[PKT_MALFORMED], 0);
}

/* ---- tunnels: an inner TCP/IP packet (fr_build on raw IP) wrapped ---- */

#include "analysis/flow.h"

static const uint8_t outer_src[4] = {10, 0, 0, 1};
static const uint8_t outer_dst[4] = {10, 0, 0, 2};

static void put_eth(struct frame *f, uint16_t type)
{
	put_fill(f, 0x02, 12);
	put16(f, type);
}

/* An outer IPv4 header for len bytes of payload of protocol proto. */
static void put_ip4(struct frame *f, uint8_t proto, uint32_t len)
{
	put8(f, 0x45);
	put8(f, 0);
	put16(f, (uint16_t)(20 + len));
	put32(f, 0);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put_bytes(f, outer_src, 4);
	put_bytes(f, outer_dst, 4);
}

static void put_udp(struct frame *f, uint16_t dport, uint32_t len)
{
	put16(f, 40000);
	put16(f, dport);
	put16(f, (uint16_t)(8 + len));
	put16(f, 0);
}

/* The inner segment (IPv4 or IPv6 TCP) as raw IP bytes, and its spec. */
static struct fspec inner(struct frame *in, int family)
{
	struct fspec s = fr_spec(family);

	fr_build(in, T_DLT_RAW_12, &s);
	return s;
}

/* Decode f on Ethernet; expect PKT_OK, the inner fields, and the
 * tunnel's text form. */
static void expect_tunnel(const struct frame *f, const struct fspec *s,
			  const char *tunnel)
{
	struct flow_seg g;
	enum pkt_status st = decode(DLT_EN10MB, f, &g);
	char buf[64];

	cr_assert_eq(st, PKT_OK, "got %s", pkt_status_name(st));
	cr_assert_eq(g.family, s->family);
	cr_assert_eq(g.sport, s->sport);
	cr_assert_eq(g.dport, s->dport);
	cr_assert_eq(g.seq, s->seq);
	cr_assert_eq(g.payload_len, s->payload_len);
	cr_assert_not(g.snapped);
	cr_assert_str_eq(flow_tunnel_format(&g.tunnel, buf, sizeof(buf)),
			 tunnel);
	/* Every shorter capture decodes without overreading. */
	for (uint32_t n = 0; n < f->len; n++)
		decode_cut(DLT_EN10MB, f, n, &g);
}

static void vxlan_frame(struct frame *f, uint32_t vni, int family,
			struct fspec *s)
{
	struct frame in;

	*s = inner(&in, family);
	memset(f, 0, sizeof(*f));
	put_eth(f, 0x0800);
	put_ip4(f, T_PROTO_UDP, 8 + 8 + 14 + in.len);
	put_udp(f, 4789, 8 + 14 + in.len);
	put32(f, 0x08000000u);
	put32(f, vni << 8);
	put_eth(f, family == SEG_IPV4 ? 0x0800 : 0x86dd);
	put_bytes(f, in.b, in.len);
}

Test(decode, vxlan)
{
	struct frame f;
	struct fspec s;

	vxlan_frame(&f, 42, SEG_IPV4, &s);
	expect_tunnel(&f, &s, "vxlan:42");
	vxlan_frame(&f, 0xffffff, SEG_IPV6, &s);
	expect_tunnel(&f, &s, "vxlan:16777215");
}

Test(decode, geneve_with_options)
{
	struct frame f, in;
	struct fspec s = inner(&in, SEG_IPV4);

	memset(&f, 0, sizeof(f));
	put_eth(&f, 0x0800);
	put_ip4(&f, T_PROTO_UDP, 8 + 16 + 14 + in.len);
	put_udp(&f, 6081, 16 + 14 + in.len);
	put8(&f, 0x02); /* version 0, 2 words of options */
	put8(&f, 0);
	put16(&f, 0x6558);
	put32(&f, 7u << 8);
	put_fill(&f, 0xee, 8);
	put_eth(&f, 0x0800);
	put_bytes(&f, in.b, in.len);
	expect_tunnel(&f, &s, "geneve:7");
}

/* GRE with the flags given; key and seq written when their bit is set. */
static void gre_frame(struct frame *f, uint16_t flags, uint16_t proto,
		      const uint8_t *body, uint32_t len)
{
	uint32_t hl = 4 + (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) +
		      (flags & 0x1000 ? 4 : 0);

	memset(f, 0, sizeof(*f));
	put_eth(f, 0x0800);
	put_ip4(f, 47, hl + len);
	put16(f, flags);
	put16(f, proto);
	if (flags & 0x8000)
		put32(f, 0);
	if (flags & 0x2000)
		put32(f, 10);
	if (flags & 0x1000)
		put32(f, 99);
	put_bytes(f, body, len);
}

Test(decode, gre_key_seq_and_plain)
{
	struct frame f, in;
	struct fspec s = inner(&in, SEG_IPV4);

	gre_frame(&f, 0xb000, 0x0800, in.b, in.len); /* C, K, S */
	expect_tunnel(&f, &s, "gre:10");
	gre_frame(&f, 0x0000, 0x0800, in.b, in.len);
	expect_tunnel(&f, &s, "gre:10.0.0.1>10.0.0.2");
	s = inner(&in, SEG_IPV6);
	gre_frame(&f, 0x0000, 0x86dd, in.b, in.len);
	expect_tunnel(&f, &s, "gre:10.0.0.1>10.0.0.2");
}

Test(decode, gre_bridged_ethernet_and_erspan)
{
	struct frame f, in, body;
	struct fspec s = inner(&in, SEG_IPV4);

	memset(&body, 0, sizeof(body));
	put_eth(&body, 0x0800);
	put_bytes(&body, in.b, in.len);
	gre_frame(&f, 0x2000, 0x6558, body.b, body.len);
	expect_tunnel(&f, &s, "gre:10");
	/* ERSPAN type I: no sequence, no ERSPAN header */
	gre_frame(&f, 0x0000, 0x88be, body.b, body.len);
	expect_tunnel(&f, &s, "gre:10.0.0.1>10.0.0.2");

	/* type II: version 1, session 5 */
	memset(&body, 0, sizeof(body));
	put16(&body, 0x1000 | 100);
	put16(&body, 5);
	put32(&body, 0);
	put_eth(&body, 0x0800);
	put_bytes(&body, in.b, in.len);
	gre_frame(&f, 0x1000, 0x88be, body.b, body.len);
	expect_tunnel(&f, &s, "erspan:5");

	/* type III: version 2, session 9, with the optional subheader */
	memset(&body, 0, sizeof(body));
	put16(&body, 0x2000);
	put16(&body, 9);
	put32(&body, 0x12345678u); /* timestamp */
	put16(&body, 0);	   /* SGT */
	put16(&body, 0x0001);	   /* P=0 FT=0 HW=0 D=0 Gra=0 O=1 */
	put_fill(&body, 0xcc, 8);
	put_eth(&body, 0x0800);
	put_bytes(&body, in.b, in.len);
	gre_frame(&f, 0x1000, 0x22eb, body.b, body.len);
	expect_tunnel(&f, &s, "erspan:9");
}

Test(decode, ip_in_ip)
{
	struct frame f, in;
	struct fspec s = inner(&in, SEG_IPV4);

	memset(&f, 0, sizeof(f));
	put_eth(&f, 0x0800);
	put_ip4(&f, 4, in.len);
	put_bytes(&f, in.b, in.len);
	expect_tunnel(&f, &s, "ipip:10.0.0.1>10.0.0.2");

	s = inner(&in, SEG_IPV6);
	memset(&f, 0, sizeof(f));
	put_eth(&f, 0x0800);
	put_ip4(&f, 41, in.len);
	put_bytes(&f, in.b, in.len);
	expect_tunnel(&f, &s, "ip6ip:10.0.0.1>10.0.0.2");
}

Test(decode, mpls_label_stack)
{
	struct frame f, in;

	for (int fam = 0; fam < 2; fam++) {
		struct fspec s = inner(&in, fam ? SEG_IPV6 : SEG_IPV4);

		memset(&f, 0, sizeof(f));
		put_eth(&f, fam ? 0x8848 : 0x8847);
		put32(&f, 100u << 12 | 64);	     /* transport label */
		put32(&f, 200u << 12 | 1 << 8 | 64); /* VPN label, bottom */
		put_bytes(&f, in.b, in.len);
		expect_tunnel(&f, &s, "mpls:200");
	}
	/* A stack that never ends is malformed, not an overread. */
	{
		struct flow_seg g;

		memset(&f, 0, sizeof(f));
		put_eth(&f, 0x8847);
		for (int i = 0; i < 20; i++)
			put32(&f, 100u << 12);
		cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_MALFORMED);
	}
}

Test(decode, pppoe_session)
{
	struct frame f, in;

	for (int fam = 0; fam < 2; fam++) {
		struct fspec s = inner(&in, fam ? SEG_IPV6 : SEG_IPV4);

		memset(&f, 0, sizeof(f));
		put_eth(&f, 0x8864);
		put8(&f, 0x11);
		put8(&f, 0);
		put16(&f, 0x1234);
		put16(&f, (uint16_t)(2 + in.len));
		put16(&f, fam ? 0x0057 : 0x0021);
		put_bytes(&f, in.b, in.len);
		expect_tunnel(&f, &s, "pppoe:4660");
	}
}

/* VXLAN in GRE in MPLS: the innermost tunnel names the flow. */
Test(decode, nested_tunnels_and_depth_bound)
{
	struct frame vx, f, g;
	struct fspec s;
	struct flow_seg seg;

	vxlan_frame(&vx, 42, SEG_IPV4, &s);
	gre_frame(&g, 0x2000, 0x6558, vx.b, vx.len);
	memset(&f, 0, sizeof(f));
	put_eth(&f, 0x8847);
	put32(&f, 300u << 12 | 1 << 8);
	put_bytes(&f, g.b + 14, g.len - 14);
	expect_tunnel(&f, &s, "vxlan:42");

	/* IPv4 in IPv4 nine deep: past the bound. */
	memset(&f, 0, sizeof(f));
	put_eth(&f, 0x0800);
	{
		struct frame in;

		s = inner(&in, SEG_IPV4);
		for (int i = 0; i < 9; i++)
			put_ip4(&f, 4, (uint32_t)(9 - i) * 20 + in.len);
		put_bytes(&f, in.b, in.len);
	}
	cr_assert_eq(decode(DLT_EN10MB, &f, &seg), PKT_MALFORMED);
}

/* Two tenants with the same inner 4-tuple are two flows. */
Test(decode, tunnel_keeps_tenants_apart)
{
	struct frame f;
	struct fspec s;
	struct flow_seg a, b;
	struct flow_key ka, kb;

	vxlan_frame(&f, 1, SEG_IPV4, &s);
	cr_assert_eq(decode(DLT_EN10MB, &f, &a), PKT_OK);
	vxlan_frame(&f, 2, SEG_IPV4, &s);
	cr_assert_eq(decode(DLT_EN10MB, &f, &b), PKT_OK);
	flow_key_from_seg(&a, &ka);
	flow_key_from_seg(&b, &kb);
	cr_assert_neq(memcmp(&ka, &kb, sizeof(ka)), 0);
	b.tunnel = a.tunnel;
	flow_key_from_seg(&b, &kb);
	cr_assert_eq(memcmp(&ka, &kb, sizeof(ka)), 0);
}

/* UDP to other ports stays not-tcp; a plain segment has no tunnel. */
Test(decode, no_tunnel_is_zero)
{
	struct frame f;
	struct fspec s = fr_spec(SEG_IPV4);
	struct flow_seg g;
	static const struct flow_tunnel zero;

	fr_build(&f, DLT_EN10MB, &s);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_OK);
	cr_assert_eq(memcmp(&g.tunnel, &zero, sizeof(zero)), 0);
	s.proto = T_PROTO_UDP;
	fr_build(&f, DLT_EN10MB, &s);
	cr_assert_eq(decode(DLT_EN10MB, &f, &g), PKT_NOT_TCP);
}
