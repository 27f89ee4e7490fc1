// SPDX-License-Identifier: MIT
/*
 * Tunnel headers for the recorded captures, where this kernel has no
 * tunnel device (record-tunnels.sh). A tc program on the server's veth,
 * at ingress and egress: every IPv4 packet (IPv6 for IPv6 in IPv4) gets
 * WRAP_LEN bytes of
 * encapsulation pushed after its Ethernet header (MPLS labels, an outer
 * IPv4 header with GRE, ...), a copy of it is sent out of the mirror
 * interface (WRAP_MIRROR, an ifindex) where the capture runs, and the
 * bytes are taken off again, so that the real TCP exchange between the
 * namespaces goes on untouched.
 *
 * Build: clang -O2 -target bpf -DWRAP_MODE=N -DWRAP_MIRROR=IFINDEX -c
 * Modes: see the templates below.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define MPLS 1
#define GRE_KEY 2
#define GRE_TEB 3
#define ERSPAN2 4
#define ERSPAN3 5
#define IPIP 6
#define PPPOE 7
#define GENEVE 8
#define IP6IP 9
#define VXLAN2 10

/* outer IPv4 header; lengths and checksum patched per packet */
#define IP4(proto)                                                             \
	0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0, 10, 77, 0, 1, 10, 77,   \
		0, 2
/* inner Ethernet header of bridged frames */
#define ETH 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00

#if WRAP_MODE == MPLS
#define WRAP_TYPE 0x8847
#define WRAP_IP -1
#define WRAP_UDP -1
#define WRAP_PPPOE -1
/* transport label 100, VPN label 200 (bottom of stack) */
static const __u8 tmpl[] SEC(".rodata") = {0x00, 0x06, 0x40, 64,
					   0x00, 0x0c, 0x81, 64};
#elif WRAP_MODE == GRE_KEY
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP -1
#define WRAP_PPPOE -1
/* GRE K and S, IPv4, key 10, sequence 1 */
static const __u8 tmpl[] SEC(".rodata") = {IP4(47), 0x30, 0, 0x08, 0, 0, 0,
					   0,	    10,	  0, 0,	   0, 1};
#elif WRAP_MODE == GRE_TEB
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP -1
#define WRAP_PPPOE -1
/* GRE, no key, transparent Ethernet bridging */
static const __u8 tmpl[] SEC(".rodata") = {IP4(47), 0, 0, 0x65, 0x58, ETH};
#elif WRAP_MODE == ERSPAN2
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP -1
#define WRAP_PPPOE -1
/* GRE S, ERSPAN type II: version 1, VLAN 0, session 5 */
static const __u8 tmpl[] SEC(".rodata") = {IP4(47), 0x10, 0, 0x88, 0xbe, 0,
					   0,	    0,	  1, 0x10, 0,	 0,
					   5,	    0,	  0, 0,	   0,	 ETH};
#elif WRAP_MODE == ERSPAN3
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP -1
#define WRAP_PPPOE -1
/* GRE S, ERSPAN type III: version 2, session 9, no subheader */
static const __u8 tmpl[] SEC(".rodata") = {
	IP4(47), 0x10, 0, 0x22, 0xeb, 0, 0, 0, 1, 0x20, 0,
	0,	 9,    0, 0,	0,    0, 0, 0, 0, 0,	ETH};
#elif WRAP_MODE == IPIP
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP -1
#define WRAP_PPPOE -1
static const __u8 tmpl[] SEC(".rodata") = {IP4(4)};
#elif WRAP_MODE == PPPOE
#define WRAP_TYPE 0x8864
#define WRAP_IP -1
#define WRAP_UDP -1
#define WRAP_PPPOE 0
/* session 0x1234, PPP protocol IPv4 */
static const __u8 tmpl[] SEC(".rodata") = {0x11, 0, 0x12, 0x34,
					   0,	 0, 0x00, 0x21};
#elif WRAP_MODE == GENEVE
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP 20
#define WRAP_PPPOE -1
/* UDP 6081, Geneve version 0 with 1 word of options, VNI 7 */
static const __u8 tmpl[] SEC(".rodata") = {
	IP4(17), 0x9c, 0x40, 0x17, 0xc1, 0, 0,	  0,	0,    0x01, 0,
	0x65,	 0x58, 0,    0,	   7,	 0, 0x01, 0x02, 0x03, 0x00, ETH};
#elif WRAP_MODE == IP6IP
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP -1
#define WRAP_PPPOE -1
#define WRAP_INNER ETH_P_IPV6
/* IPv6 in IPv4 (protocol 41, RFC 4213) */
static const __u8 tmpl[] SEC(".rodata") = {IP4(41)};
#elif WRAP_MODE == VXLAN2
#define WRAP_TYPE 0x0800
#define WRAP_IP 0
#define WRAP_UDP 20
#define WRAP_PPPOE -1
/* UDP 4789, VXLAN 1; every packet copied once more with VNI 2: two
 * tenants whose inner addresses and ports are the same */
#define WRAP_VNI2 (20 + 8 + 6)
static const __u8 tmpl[] SEC(".rodata") = {
	IP4(17), 0x9c, 0x41, 0x12, 0xb5, 0, 0, 0, 0,
	0x08,	 0,    0,    0,	   0,	 0, 1, 0, ETH};
#else
#error "WRAP_MODE?"
#endif

/* What is wrapped: IPv4, except for IPv6 in IPv4. */
#ifndef WRAP_INNER
#define WRAP_INNER ETH_P_IP
#endif

#define WRAP_LEN sizeof(tmpl)

static __always_inline void put16(struct __sk_buff *skb, int off, __u16 v)
{
	__u16 be = bpf_htons(v);

	bpf_skb_store_bytes(skb, off, &be, 2, 0);
}

static __always_inline int wrap(struct __sk_buff *skb)
{
	__u8 hdr[WRAP_LEN];
	__u32 len;

	if (skb->protocol != bpf_htons(WRAP_INNER))
		return TC_ACT_OK;
	if (bpf_skb_adjust_room(skb, WRAP_LEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO))
		return TC_ACT_OK;
	__builtin_memcpy(hdr, tmpl, WRAP_LEN);
	len = skb->len - ETH_HLEN;
	if (WRAP_IP >= 0) {
		__u32 sum = 0;

		hdr[WRAP_IP + 2] = len >> 8;
		hdr[WRAP_IP + 3] = len & 0xff;
		for (int i = 0; i < 20; i += 2)
			sum += (__u32)hdr[WRAP_IP + i] << 8 |
			       hdr[WRAP_IP + i + 1];
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		/* egress: server to client, the outer header turned round */
		if (!skb->ingress_ifindex) {
			for (int i = 12; i < 16; i++) {
				__u8 t = hdr[WRAP_IP + i];

				hdr[WRAP_IP + i] = hdr[WRAP_IP + i + 4];
				hdr[WRAP_IP + i + 4] = t;
			}
		}
		hdr[WRAP_IP + 10] = ~sum >> 8;
		hdr[WRAP_IP + 11] = ~sum & 0xff;
	}
	if (WRAP_UDP >= 0) {
		hdr[WRAP_UDP + 4] = (len - 20) >> 8;
		hdr[WRAP_UDP + 5] = (len - 20) & 0xff;
	}
	if (WRAP_PPPOE >= 0) {
		hdr[WRAP_PPPOE + 4] = (len - 6) >> 8;
		hdr[WRAP_PPPOE + 5] = (len - 6) & 0xff;
	}
	bpf_skb_store_bytes(skb, ETH_HLEN, hdr, WRAP_LEN, 0);
	put16(skb, 12, WRAP_TYPE);
	bpf_clone_redirect(skb, WRAP_MIRROR, 0);
#ifdef WRAP_VNI2
	{
		__u8 vni = 2;

		bpf_skb_store_bytes(skb, ETH_HLEN + WRAP_VNI2, &vni, 1, 0);
		bpf_clone_redirect(skb, WRAP_MIRROR, 0);
	}
#endif
	/* Back as it was: skb->protocol never changed, so this works. */
	put16(skb, 12, WRAP_INNER);
	bpf_skb_adjust_room(skb, -(__s32)WRAP_LEN, BPF_ADJ_ROOM_MAC,
			    BPF_F_ADJ_ROOM_FIXED_GSO);
	return TC_ACT_OK;
}

SEC("tc")
int wrap_tc(struct __sk_buff *skb)
{
	return wrap(skb);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
