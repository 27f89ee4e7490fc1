// SPDX-License-Identifier: MIT
/*
 * ftgen: writes large, realistic pcap captures of TCP traffic, and the truth
 * about every flow in them, for benchmarking and testing fintrace.
 *
 * Each flow is a client talking to a service (server ip:port) over Ethernet
 * and IPv4 or IPv6: a three-way handshake with the options Linux sends,
 * request/response rounds with real payload (HTTP or TLS records), delayed
 * ACKs from the client, then a teardown chosen from a weighted mix of
 * verdicts (clean, late-close, never-closed, half-close, reset, fin-unacked,
 * simultaneous, refused, open). Sequence and acknowledgement numbers,
 * timestamps options, IP IDs and checksums are all consistent, as if the
 * capture had been taken next to the servers.
 *
 * Flows are driven by a min-heap of "next packet time", so records come out
 * in time order however many flows are open. The first --concurrency flows
 * start staggered over about one flow lifetime; after that every flow that
 * ends lets a new one start, so about that many are open at any time.
 *
 * Records are built in a large buffer and written with fwrite; templates
 * carry prefix sums of their 16-bit words so that the TCP checksum of any
 * payload slice costs O(1). The same options and seed give byte-identical
 * output.
 *
 * Verdict semantics (the truth): the active closer sent the first FIN; the
 * passive side's close-wait runs from its ACK of that FIN to its own FIN or
 * RST. clean: the passive side closed within the threshold (5 s by
 * default); late-close: after it; never-closed: it ACKed the FIN and sent
 * nothing more; reset: RST before any FIN. The truth (JSON Lines: one
 * "summary" object, then one "service" object per service, and one "flow"
 * object per flow with --truth-flows) goes to stderr or --truth FILE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FT_VERSION
#define FT_VERSION "dev"
#endif

#define GEN_ERRBUF_SIZE 256
#define GEN_NS 1000000000ULL
#define GEN_US 1000ULL
#define GEN_MS 1000000ULL
#define GEN_OUTBUF_SIZE (4U << 20)
#define GEN_MAX_SNAPLEN 262144U
#define GEN_PCAP_MAGIC_NS 0xa1b23c4dU
#define GEN_PCAP_MAGIC_US 0xa1b2c3d4U
#define GEN_LINKTYPE_ETHERNET 1U
#define GEN_PORT_LO 32768U
#define GEN_PORT_HI 60999U
#define GEN_PORT_SPAN (GEN_PORT_HI - GEN_PORT_LO)
#define GEN_NREQ 16
#define GEN_NRESP 40
#define GEN_MAX_CLIENTS 4000000ULL
#define GEN_MAX_SERVICES 65535ULL
#define GEN_MAX_CONCURRENCY 10000000ULL
/* Linux's default tcp_fin_timeout: how long an orphaned FIN_WAIT2 lasts. */
#define GEN_FIN_TIMEOUT_NS (60ULL * GEN_NS)

/* TCP flag bits (RFC 9293, 3.1). */
#define GEN_FIN 0x01
#define GEN_SYN 0x02
#define GEN_RST 0x04
#define GEN_PSH 0x08
#define GEN_ACK 0x10

enum gen_verdict {
	GV_CLEAN,
	GV_LATE_CLOSE,
	GV_NEVER_CLOSED,
	GV_HALF_CLOSE,
	GV_RESET,
	GV_FIN_UNACKED,
	GV_SIMULTANEOUS,
	GV_REFUSED,
	GV_OPEN,
	GV_CLOSING,
	GV__COUNT
};

static const char *const gen_verdict_names[GV__COUNT] = {
	"clean",       "late-close",   "never-closed", "half-close", "reset",
	"fin-unacked", "simultaneous", "refused",      "open",	     "closing",
};

/* Where a flow is in its script; each phase emits exactly one packet. */
enum gen_phase {
	PH_SYN,
	PH_SYNACK,
	PH_ACK3,
	PH_REQ,
	PH_RESP,     /* server segments interleaved with client ACKs */
	PH_HC_FIN,   /* half-close: client FIN right after its request */
	PH_HC_ACK,   /* server ACKs it, then still answers */
	PH_FIN1,     /* active closer's FIN */
	PH_FIN_RTX,  /* its retransmissions, never ACKed */
	PH_PACK,     /* passive side ACKs the FIN: close-wait starts */
	PH_PFIN,     /* passive side's FIN: close-wait ends */
	PH_AACK,     /* active closer ACKs it */
	PH_ARST,     /* or resets it, its FIN_WAIT2 having timed out */
	PH_RST,	     /* abort before any FIN */
	PH_REFUSE,   /* RST answering the SYN */
	PH_SIM_FIN2, /* simultaneous close: second FIN, not ACKing the first */
	PH_SIM_SACK, /* server ACKs the client's FIN */
	PH_SIM_CACK, /* client ACKs the server's FIN */
	PH_DONE
};

enum gen_opt_kind { GO_NONE, GO_SYN, GO_TS };

enum gen_side { SIDE_C = 0, SIDE_S = 1 };

/* Command-line options; defaults in gen_opts_default. */
struct gen_opts {
	uint64_t flows;
	uint64_t concurrency;
	uint64_t packets_per_flow;
	double ipv6_share;
	uint64_t mix[GV__COUNT];
	uint64_t linger_late_ns;
	uint64_t threshold_ns;
	uint64_t services;
	uint64_t clients;
	uint64_t seed;
	uint64_t start_wall_ns;
	uint64_t snaplen;
	int nano;
	int truth_flows;
	int help;
	int version;
	const char *out_path;
	const char *truth_path;
};

static const struct gen_opts gen_opts_default = {
	.flows = 10000,
	.concurrency = 1000,
	.packets_per_flow = 20,
	.ipv6_share = 0.2,
	.mix = {[GV_CLEAN] = 70,
		[GV_NEVER_CLOSED] = 10,
		[GV_LATE_CLOSE] = 10,
		[GV_RESET] = 10},
	.linger_late_ns = 7 * GEN_NS,
	.threshold_ns = 5 * GEN_NS,
	.services = 16,
	.clients = 4096,
	.seed = 1,
	.start_wall_ns = 1704067200ULL * GEN_NS, /* 2024-01-01T00:00:00Z */
	.snaplen = GEN_MAX_SNAPLEN,
	.nano = 1,
	.out_path = "-",
};

/* splitmix64: small, fast, and good enough for traffic shapes. */
struct gen_rng {
	uint64_t s;
};

/*
 * A payload template: complete bytes plus psum[i], the sum of its first i
 * big-endian 16-bit words, so a slice starting at an even offset has an
 * O(1) checksum.
 */
struct gen_tmpl {
	uint8_t *data;
	uint32_t *psum;
	uint32_t len;
};

/* Requests and responses (ascending sizes) of one application protocol. */
struct gen_kind {
	struct gen_tmpl req[GEN_NREQ];
	struct gen_tmpl resp[GEN_NRESP];
};

enum gen_app { APP_HTTP, APP_TLS, APP__COUNT };

/* One flow being generated. Sides are indexed by enum gen_side. */
struct gen_flow {
	uint64_t t_ns;	   /* wall time of this flow's next packet */
	uint64_t start_ns; /* SYN time */
	uint64_t id;	   /* 0-based flow number: the heap tie-breaker */
	uint64_t syn_frame;
	uint64_t fin_frame;  /* frame of the first FIN, 0 if none */
	uint64_t fin_ns;     /* time of the first FIN */
	uint64_t ack_fin_ns; /* passive side's ACK of it */
	uint64_t close_ns;   /* passive side's FIN */
	uint64_t resp_t0_ns; /* first response segment */
	uint64_t rto_ns;
	uint32_t nxt[2]; /* next sequence number of each side */
	uint32_t ts_base[2];
	uint32_t ts_last[2];
	uint32_t host;
	uint32_t svc;
	uint32_t budget; /* packets left for request/response rounds */
	uint32_t rtt_ns;
	uint32_t srv_ns; /* server kernel's reaction time */
	uint32_t seg_gap_ns;
	uint32_t resp_seq0;
	uint32_t packets;
	uint32_t flowlabel;
	uint16_t ipid[2];
	uint16_t win[2];
	uint16_t cport;
	uint16_t seg_i, seg_k; /* response segments sent, planned */
	uint16_t ack_j, ack_n; /* client ACKs sent, planned */
	uint8_t resp_idx;
	uint8_t verdict;
	uint8_t fam;	/* 4 or 6 */
	uint8_t active; /* first FIN (or RST) sender */
	uint8_t phase;
	uint8_t retrans;  /* FIN retransmissions left */
	uint8_t combined; /* passive ACK and FIN in one segment */
	uint8_t last_round;
};

/* Truth per service and address family. */
struct gen_svc_stats {
	uint64_t verdicts[GV__COUNT];
	uint64_t flows;
	uint64_t close_wait_max_ns;
};

/* Output buffer in front of a FILE. */
struct gen_out {
	FILE *fp;
	uint8_t *buf;
	size_t len;
	int err;
};

/* Generator context: everything that changes while generating. */
struct gen {
	const struct gen_opts *opts;
	struct gen_rng rng;
	struct gen_out out;
	FILE *truth;
	struct gen_flow *flows;
	uint32_t *heap;
	size_t heap_n;
	uint16_t *ports;
	struct gen_svc_stats *stats; /* [services][2] */
	struct gen_kind kinds[APP__COUNT];
	uint64_t mix_total;
	uint64_t n6, n4; /* services used by each family */
	uint64_t started;
	uint64_t frames;
	uint64_t bytes;
	uint64_t open;
	uint64_t peak_open;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t ipv6_flows;
	uint64_t verdicts[GV__COUNT];
	uint64_t ramp_ns;
	/* never-closed flows, judged at the end: those fewer than the
	 * threshold into CLOSE_WAIT when the capture ends are "closing" */
	struct gen_flow *pending;
	size_t npending, cap_pending;
};

static const uint16_t gen_ports[] = {443, 80, 8443, 8080, 9443, 8000};
#define GEN_NPORTS (sizeof(gen_ports) / sizeof(gen_ports[0]))

static uint64_t rng_next(struct gen_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(struct gen_rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n); n > 0. */
static uint64_t rng_below(struct gen_rng *r, uint64_t n)
{
	uint64_t v = (uint64_t)(rng_unit(r) * (double)n);

	return v < n ? v : n - 1;
}

/* Log-uniform in [lo, hi]: many short waits, a few long ones. */
static uint64_t rng_log_ns(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return (uint64_t)((double)lo *
			  exp(rng_unit(r) * log((double)hi / (double)lo)));
}

/* Mean of rng_log_ns(lo, hi), for the start-up ramp estimate. */
static double gen_log_mean(double lo, double hi)
{
	return hi <= lo ? lo : (hi - lo) / log(hi / lo);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Sum of the big-endian 16-bit words of p[0..len), odd tail padded. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sum of the slice [off, off + len) of t; off must be even. */
static uint64_t tmpl_sum(const struct gen_tmpl *t, uint32_t off, uint32_t len)
{
	uint64_t s = t->psum[(off + len) / 2] - t->psum[off / 2];

	if (len & 1)
		s += (uint32_t)t->data[off + len - 1] << 8;
	return s;
}

/*
 * Give t a copy of data[0..len) and its prefix sums. Returns 0 or -ENOMEM;
 * tmpl_release() frees.
 */
static int tmpl_init(struct gen_tmpl *t, const uint8_t *data, uint32_t len)
{
	uint32_t i, words = len / 2;

	t->data = malloc(len ? len : 1);
	t->psum = malloc(((size_t)words + 1) * sizeof(*t->psum));
	if (!t->data || !t->psum)
		return -ENOMEM;
	memcpy(t->data, data, len);
	t->len = len;
	t->psum[0] = 0;
	for (i = 0; i < words; i++)
		t->psum[i + 1] = t->psum[i] +
				 ((uint32_t)data[2 * i] << 8 | data[2 * i + 1]);
	return 0;
}

/* Free what tmpl_init() allocated; a zeroed template is a no-op. */
static void tmpl_release(struct gen_tmpl *t)
{
	free(t->data);
	free(t->psum);
	t->data = NULL;
	t->psum = NULL;
}

/* Size of the i-th of n sizes spaced logarithmically over [lo, hi]. */
static uint32_t gen_log_size(int i, int n, double lo, double hi)
{
	return (uint32_t)(lo * pow(hi / lo, (double)i / (double)(n - 1)));
}

/*
 * An HTTP/1.1 request of exactly len bytes (len >= 220, headers padded by a
 * cookie), written to buf.
 */
static void gen_http_request(uint8_t *buf, uint32_t len, int i)
{
	int n = snprintf((char *)buf, len,
			 "GET /api/v1/orders/%d?page=%d HTTP/1.1\r\n"
			 "Host: api.svc.internal\r\n"
			 "User-Agent: ftgen-client/1.0\r\n"
			 "Accept: application/json\r\n"
			 "Connection: keep-alive\r\n"
			 "Cookie: session=",
			 1000 + i, i);
	static const char hex[] = "0123456789abcdef";
	uint32_t p;

	for (p = (uint32_t)n; p < len - 4; p++)
		buf[p] = (uint8_t)hex[(p * 7 + (uint32_t)i) & 15];
	memcpy(buf + len - 4, "\r\n\r\n", 4);
}

/* An HTTP/1.1 200 response with a JSON body, exactly len bytes (>= 200). */
static void gen_http_response(uint8_t *buf, uint32_t len)
{
	static const char item[] = "{\"id\":4711,\"name\":\"widget\","
				   "\"price\":12.50,\"stock\":true},";
	static const char fmt[] = "HTTP/1.1 200 OK\r\n"
				  "Content-Type: application/json\r\n"
				  "Content-Length: %u\r\n"
				  "Connection: keep-alive\r\n\r\n";
	uint32_t body = len, hlen = 0, p;
	int k;

	/* The header's length depends on the digits of the body's. */
	for (k = 0; k < 3; k++) {
		hlen = (uint32_t)snprintf(NULL, 0, fmt, body);
		body = len - hlen;
	}
	snprintf((char *)buf, hlen + 1, fmt, body);
	buf[hlen] = '[';
	for (p = 1; p < body - 1; p++)
		buf[hlen + p] = (uint8_t)item[(p - 1) % (sizeof(item) - 1)];
	buf[len - 1] = ']';
}

/* TLS 1.2/1.3 application data records filling exactly len bytes (>= 6). */
static void gen_tls_records(uint8_t *buf, uint32_t len, struct gen_rng *r)
{
	uint32_t off = 0, p;

	while (off < len) {
		uint32_t left = len - off, rec = left - 5;

		if (left > 16384 + 5) {
			rec = 16384;
			if (left - (rec + 5) < 6)
				rec = 16000;
		}
		buf[off] = 0x17;
		buf[off + 1] = 0x03;
		buf[off + 2] = 0x03;
		put16(buf + off + 3, (uint16_t)rec);
		for (p = 0; p < rec; p++)
			buf[off + 5 + p] = (uint8_t)(rng_next(r) >> 56);
		off += rec + 5;
	}
}

/*
 * Build the request and response templates of every application kind.
 * Returns 0 or -ENOMEM; gen_release() frees what was built.
 */
static int gen_templates(struct gen *g)
{
	struct gen_rng r = {.s = 0x6674676e74706c73ULL};
	uint32_t max = gen_log_size(GEN_NRESP - 1, GEN_NRESP, 300, 512 * 1024);
	uint8_t *buf = malloc(max);
	int i, ret = 0;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < GEN_NREQ && !ret; i++) {
		uint32_t len = gen_log_size(i, GEN_NREQ, 240, 1200);

		gen_http_request(buf, len, i);
		ret = tmpl_init(&g->kinds[APP_HTTP].req[i], buf, len);
		if (ret)
			break;
		gen_tls_records(buf, len - 200, &r);
		ret = tmpl_init(&g->kinds[APP_TLS].req[i], buf, len - 200);
	}
	for (i = 0; i < GEN_NRESP && !ret; i++) {
		uint32_t len = gen_log_size(i, GEN_NRESP, 300, 512 * 1024);

		gen_http_response(buf, len);
		ret = tmpl_init(&g->kinds[APP_HTTP].resp[i], buf, len);
		if (ret)
			break;
		gen_tls_records(buf, len, &r);
		ret = tmpl_init(&g->kinds[APP_TLS].resp[i], buf, len);
	}
	free(buf);
	return ret;
}

static enum gen_app gen_svc_app(uint32_t svc)
{
	uint16_t port = gen_ports[svc % GEN_NPORTS];

	return (port == 80 || port == 8080 || port == 8000) ? APP_HTTP
							    : APP_TLS;
}

/* Addresses: IPv4 from 10.0.0.0/8, IPv6 from fd00::/8. */
static void gen_addr(uint8_t *a, int fam, int server, uint32_t idx)
{
	if (fam == 4) {
		put32(a, (server ? 0x0ac80000U : 0x0a000000U) + idx + 1);
		return;
	}
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[7] = server ? 0x05 : 0x0c;
	put32(a + 12, idx + 1);
}

static uint16_t gen_svc_port(uint32_t svc)
{
	return gen_ports[svc % GEN_NPORTS];
}

/* "10.200.0.1:443" or "[fd00:0:0:5::1]:443" */
static void gen_endpoint(char *buf, size_t size, int fam, int server,
			 uint32_t idx, uint16_t port)
{
	uint8_t a[16];
	char ip[INET6_ADDRSTRLEN];

	gen_addr(a, fam, server, idx);
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
	snprintf(buf, size, fam == 4 ? "%s:%u" : "[%s]:%u", ip, port);
}

/* Write the buffered records; returns 0 or -EIO (and remembers it). */
static int out_flush(struct gen_out *o)
{
	if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->fp) != o->len)
		o->err = -EIO;
	o->len = 0;
	return o->err;
}

static void gen_pcap_header(struct gen *g)
{
	uint32_t hdr[6] = {
		g->opts->nano ? GEN_PCAP_MAGIC_NS : GEN_PCAP_MAGIC_US,
		0, /* version 2.4, set below as two host-order shorts */
		0,
		0,
		(uint32_t)g->opts->snaplen,
		GEN_LINKTYPE_ETHERNET,
	};
	uint16_t ver[2] = {2, 4};

	memcpy(&hdr[1], ver, sizeof(ver));
	memcpy(g->out.buf, hdr, sizeof(hdr));
	g->out.len = sizeof(hdr);
	g->bytes = sizeof(hdr);
}

/* MSS a side announces, and the payload per full segment with timestamps. */
static uint16_t gen_mss(int fam)
{
	return fam == 4 ? 1460 : 1440;
}

static uint32_t gen_seg_payload(int fam)
{
	return gen_mss(fam) - 12U;
}

/*
 * Emit one segment of flow f sent by side at f->t_ns: build the Ethernet,
 * IP and TCP headers (checksums included), append the pcap record cut to
 * the snap length. pl may be NULL when len is 0; off must be even.
 */
static void gen_emit(struct gen *g, struct gen_flow *f, int side, uint8_t flags,
		     uint32_t seq, uint32_t ack, enum gen_opt_kind opt,
		     uint16_t win, const struct gen_tmpl *pl, uint32_t off,
		     uint32_t len)
{
	uint8_t hdr[14 + 40 + 40];
	uint8_t src[16], dst[16];
	uint8_t *ip = hdr + 14, *tcp;
	uint32_t iplen = f->fam == 4 ? 20 : 40;
	uint32_t tcplen = opt == GO_SYN ? 40 : opt == GO_TS ? 32 : 20;
	uint32_t hlen = 14 + iplen + tcplen, frame = hlen + len, caplen;
	uint32_t addrlen = f->fam == 4 ? 4 : 16, tsval;
	uint16_t sport, dport;
	uint64_t sum, t = f->t_ns;
	struct gen_out *o = &g->out;
	uint8_t *rec;

	gen_addr(side == SIDE_C ? src : dst, f->fam, 0, f->host);
	gen_addr(side == SIDE_C ? dst : src, f->fam, 1, f->svc);
	sport = side == SIDE_C ? f->cport : gen_svc_port(f->svc);
	dport = side == SIDE_C ? gen_svc_port(f->svc) : f->cport;

	/* Captured next to the server: client frames come from the gateway. */
	{
		uint8_t gw[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
		uint8_t sv[6] = {0x02,
				 0x00,
				 0x00,
				 0x01,
				 (uint8_t)(f->svc >> 8),
				 (uint8_t)f->svc};

		memcpy(hdr, side == SIDE_C ? sv : gw, 6);
		memcpy(hdr + 6, side == SIDE_C ? gw : sv, 6);
		put16(hdr + 12, f->fam == 4 ? 0x0800 : 0x86dd);
	}

	if (f->fam == 4) {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(iplen + tcplen + len));
		put16(ip + 4, f->ipid[side]++);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = side == SIDE_C ? 61 : 64;
		ip[9] = 6;
		put16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		put32(ip, 6U << 28 | f->flowlabel);
		put16(ip + 4, (uint16_t)(tcplen + len));
		ip[6] = 6;
		ip[7] = side == SIDE_C ? 61 : 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	}

	tcp = ip + iplen;
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, (flags & GEN_ACK) ? ack : 0);
	tcp[12] = (uint8_t)(tcplen / 4 << 4);
	tcp[13] = flags;
	put16(tcp + 14, win);
	put16(tcp + 16, 0);
	put16(tcp + 18, 0);
	tsval = f->ts_base[side] + (uint32_t)((t - f->start_ns) / GEN_MS);
	if (opt == GO_SYN) {
		/* Linux order: MSS, SACK permitted, timestamps, NOP, wscale. */
		uint8_t *p = tcp + 20;

		p[0] = 2;
		p[1] = 4;
		put16(p + 2, gen_mss(f->fam));
		p[4] = 4;
		p[5] = 2;
		p[6] = 8;
		p[7] = 10;
		put32(p + 8, tsval);
		put32(p + 12, side == SIDE_C ? 0 : f->ts_last[SIDE_C]);
		p[16] = 1;
		p[17] = 3;
		p[18] = 3;
		p[19] = 7;
	} else if (opt == GO_TS) {
		uint8_t *p = tcp + 20;

		p[0] = 1;
		p[1] = 1;
		p[2] = 8;
		p[3] = 10;
		put32(p + 4, tsval);
		put32(p + 8, f->ts_last[!side]);
	}
	if (opt != GO_NONE)
		f->ts_last[side] = tsval;

	/* Pseudo-header (RFC 9293 3.1, RFC 8200 8.1), header, payload. */
	sum = csum_add(0, src, addrlen);
	sum = csum_add(sum, dst, addrlen);
	sum += 6 + tcplen + len;
	sum = csum_add(sum, tcp, tcplen);
	if (len)
		sum += tmpl_sum(pl, off, len);
	put16(tcp + 16, csum_fold(sum));

	caplen = frame < g->opts->snaplen ? frame : (uint32_t)g->opts->snaplen;
	if (o->len + 16 + caplen > GEN_OUTBUF_SIZE)
		out_flush(o);
	rec = o->buf + o->len;
	{
		uint32_t rh[4] = {
			(uint32_t)(t / GEN_NS),
			(uint32_t)(g->opts->nano ? t % GEN_NS
						 : t % GEN_NS / GEN_US),
			caplen,
			frame,
		};

		memcpy(rec, rh, sizeof(rh));
	}
	if (caplen <= hlen) {
		memcpy(rec + 16, hdr, caplen);
	} else {
		memcpy(rec + 16, hdr, hlen);
		memcpy(rec + 16 + hlen, pl->data + off, caplen - hlen);
	}
	o->len += 16 + caplen;
	g->bytes += 16 + caplen;
	if (!g->frames)
		g->first_ns = t;
	g->last_ns = t;
	g->frames++;
	f->packets++;
}

/* Client and server segments with the timestamps option. */
static void gen_ts_seg(struct gen *g, struct gen_flow *f, int side,
		       uint8_t flags, uint32_t seq, uint32_t ack)
{
	gen_emit(g, f, side, flags, seq, ack, GO_TS, f->win[side], NULL, 0, 0);
}

/* How long side takes to answer the peer, as seen at the capture point. */
static uint64_t gen_react_ns(const struct gen_flow *f, int side)
{
	return side == SIDE_S ? f->srv_ns : f->rtt_ns;
}

/* Packets a verdict's teardown needs (after the handshake). */
static uint32_t gen_teardown_cost(const struct gen_flow *f)
{
	switch (f->verdict) {
	case GV_CLEAN:
		return f->combined ? 3 : 4;
	case GV_LATE_CLOSE:
	case GV_HALF_CLOSE:
	case GV_SIMULTANEOUS:
		return 4;
	case GV_NEVER_CLOSED:
		return 2;
	case GV_RESET:
		return 1;
	case GV_FIN_UNACKED:
		return 1U + f->retrans;
	default:
		return 0;
	}
}

static enum gen_verdict gen_pick_verdict(struct gen *g)
{
	uint64_t x = rng_below(&g->rng, g->mix_total);
	int v;

	for (v = 0; v < GV__COUNT - 1; v++) {
		if (x < g->opts->mix[v])
			return (enum gen_verdict)v;
		x -= g->opts->mix[v];
	}
	return GV_OPEN;
}

/*
 * Service of a new flow: v6 flows use the first n6 services, v4 flows the
 * last n4 (the pools overlap only when there are too few services), with a
 * skew towards the first of each pool as real traffic has.
 */
static uint32_t gen_pick_service(struct gen *g, int fam)
{
	double u = rng_unit(&g->rng);
	uint64_t n = fam == 6 ? g->n6 : g->n4;
	uint64_t i = (uint64_t)(u * u * (double)n);

	if (i >= n)
		i = n - 1;
	return (uint32_t)(fam == 6 ? i : g->opts->services - g->n4 + i);
}

/* Start a new flow in slot f whose SYN is sent at t. */
static void gen_flow_init(struct gen *g, struct gen_flow *f, uint64_t t)
{
	const struct gen_opts *o = g->opts;
	struct gen_rng *r = &g->rng;
	uint64_t p = o->packets_per_flow, fixed;
	uint16_t *port;

	memset(f, 0, sizeof(*f));
	f->id = g->started++;
	f->t_ns = t;
	f->start_ns = t;
	f->verdict = (uint8_t)gen_pick_verdict(g);
	f->fam = rng_unit(r) < o->ipv6_share ? 6 : 4;
	f->svc = gen_pick_service(g, f->fam);
	f->host = (uint32_t)rng_below(r, o->clients);
	port = &g->ports[f->host];
	f->cport = *port;
	*port = *port >= GEN_PORT_HI ? GEN_PORT_LO : (uint16_t)(*port + 1);
	f->nxt[SIDE_C] = (uint32_t)rng_next(r);
	f->nxt[SIDE_S] = (uint32_t)rng_next(r);
	f->ts_base[SIDE_C] = (uint32_t)rng_next(r);
	f->ts_base[SIDE_S] = (uint32_t)rng_next(r);
	f->ipid[SIDE_C] = (uint16_t)rng_next(r);
	f->ipid[SIDE_S] = (uint16_t)rng_next(r);
	f->win[SIDE_C] = (uint16_t)(500 + rng_below(r, 1500));
	f->win[SIDE_S] = (uint16_t)(500 + rng_below(r, 1500));
	f->flowlabel = (uint32_t)rng_next(r) & 0xfffff;
	f->rtt_ns = (uint32_t)rng_log_ns(r, 100 * GEN_US, 20 * GEN_MS);
	f->srv_ns = (uint32_t)(10 * GEN_US + rng_below(r, 70 * GEN_US));
	f->seg_gap_ns = (uint32_t)(5 * GEN_US + rng_below(r, 60 * GEN_US));
	f->active = (uint8_t)(rng_next(r) & 1);
	if (f->verdict == GV_HALF_CLOSE)
		f->active = SIDE_C; /* shutdown(SHUT_WR) after the request */
	f->combined = f->verdict == GV_CLEAN && (rng_next(r) & 1);
	f->retrans = (uint8_t)(2 + rng_below(r, 4));
	f->rto_ns = 200 * GEN_MS;
	f->phase = PH_SYN;

	fixed = 3 + gen_teardown_cost(f);
	f->budget = f->verdict == GV_REFUSED || p <= fixed
			    ? 0
			    : (uint32_t)(p - fixed > UINT32_MAX ? UINT32_MAX
								: p - fixed);
	if (f->fam == 6)
		g->ipv6_flows++;
}

/* A request/response round costs 1 + k + acks packets; is one affordable? */
static int gen_can_round(const struct gen_flow *f)
{
	return f->budget >= 2;
}

/*
 * Plan the response to the request about to be sent: the largest
 * template that is not bigger than a skewed random pick and fits the
 * budget, and the client's delayed ACKs (one per two segments).
 */
static void gen_plan_round(struct gen *g, struct gen_flow *f)
{
	const struct gen_kind *k = &g->kinds[gen_svc_app(f->svc)];
	uint32_t mss = gen_seg_payload(f->fam), b = f->budget, kmax = 0, segs;
	double u = rng_unit(&g->rng);
	int idx = (int)(u * u * u * GEN_NRESP);

	/* Largest k with 1 + k + ceil(k / 2) <= b; at least one segment. */
	kmax = b >= 3 ? (2 * (b - 1)) / 3 : 1;
	while (kmax > 1 && 1 + kmax + (kmax + 1) / 2 > b)
		kmax--;
	if (kmax > 0xffff)
		kmax = 0xffff;
	while (idx > 0 && (k->resp[idx].len + mss - 1) / mss > kmax)
		idx--;
	segs = (k->resp[idx].len + mss - 1) / mss;
	f->resp_idx = (uint8_t)idx;
	f->seg_k = (uint16_t)segs;
	f->ack_n = (uint16_t)((segs + 1) / 2);
	if (1 + segs + f->ack_n > b)
		f->ack_n = (uint16_t)(b - 1 - segs);
	f->seg_i = 0;
	f->ack_j = 0;
	f->budget = b - 1 - segs - f->ack_n;
	f->last_round = !gen_can_round(f);
}

/* Index of the last segment covered by client ACK j. */
static uint32_t gen_ack_seg(const struct gen_flow *f, uint32_t j)
{
	uint32_t s = 2 * j + 1;

	return s < f->seg_k ? s : f->seg_k - 1U;
}

static uint64_t gen_seg_time(const struct gen_flow *f, uint32_t i)
{
	return f->resp_t0_ns + (uint64_t)i * f->seg_gap_ns;
}

/* Time of the next response segment, UINT64_MAX when all are sent. */
static uint64_t gen_next_seg_ns(const struct gen_flow *f)
{
	return f->seg_i < f->seg_k ? gen_seg_time(f, f->seg_i) : UINT64_MAX;
}

/* Time of the client's next delayed ACK, UINT64_MAX when all are sent. */
static uint64_t gen_next_ack_ns(const struct gen_flow *f)
{
	if (f->ack_j >= f->ack_n)
		return UINT64_MAX;
	return gen_seg_time(f, gen_ack_seg(f, f->ack_j)) + f->rtt_ns;
}

/*
 * Simultaneous close: how long after the first FIN the second one shows.
 * A client FIN seen after the server's was sent within one RTT; a server
 * FIN seen after the client's was already queued, microseconds later.
 */
static uint64_t gen_sim_delay_ns(struct gen_rng *r, const struct gen_flow *f)
{
	if (f->active == SIDE_S)
		return f->rtt_ns / 10 + rng_below(r, f->rtt_ns / 10 * 8);
	return GEN_US + rng_below(r, 20 * GEN_US);
}

/* Teardown per verdict, the first packet of it at t. */
static void gen_teardown_begin(struct gen_flow *f, uint64_t t)
{
	f->t_ns = t;
	switch (f->verdict) {
	case GV_RESET:
		f->phase = PH_RST;
		break;
	case GV_SIMULTANEOUS:
	case GV_CLEAN:
	case GV_LATE_CLOSE:
	case GV_NEVER_CLOSED:
	case GV_FIN_UNACKED:
		f->phase = PH_FIN1;
		break;
	case GV_HALF_CLOSE:
		f->phase = PH_HC_FIN;
		break;
	default:
		f->phase = PH_DONE;
		break;
	}
}

/* After the handshake or a response: another round, or the teardown. */
static void gen_next_round(struct gen *g, struct gen_flow *f, int first)
{
	struct gen_rng *r = &g->rng;

	if (gen_can_round(f)) {
		f->phase = PH_REQ;
		f->t_ns += first ? rng_log_ns(r, 10 * GEN_US, 500 * GEN_US)
				 : rng_log_ns(r, 100 * GEN_US, GEN_NS);
		return;
	}
	if (f->verdict == GV_HALF_CLOSE && !first) {
		/* The response came after the client's FIN: now close. */
		f->phase = PH_PFIN;
		f->t_ns += rng_log_ns(r, 10 * GEN_US, 50 * GEN_MS);
		return;
	}
	gen_teardown_begin(f, f->t_ns + rng_log_ns(r, GEN_MS, GEN_NS));
}

/* Passive side's close-wait for a clean close: short, under threshold. */
static uint64_t gen_clean_wait_ns(struct gen *g)
{
	uint64_t hi = g->opts->threshold_ns / 10 * 8;

	if (hi > 2 * GEN_NS)
		hi = 2 * GEN_NS;
	if (hi < 40 * GEN_US)
		hi = 40 * GEN_US;
	return rng_log_ns(&g->rng, 20 * GEN_US, hi);
}

/* Emit flow f's next packet and move it to its next phase (or PH_DONE). */
static void gen_step(struct gen *g, struct gen_flow *f)
{
	struct gen_rng *r = &g->rng;
	const struct gen_kind *kind = &g->kinds[gen_svc_app(f->svc)];
	int a = f->active, p = !f->active;
	uint32_t *nxt = f->nxt;

	switch (f->phase) {
	case PH_SYN:
		f->syn_frame = g->frames + 1;
		gen_emit(g, f, SIDE_C, GEN_SYN, nxt[SIDE_C], 0, GO_SYN, 64240,
			 NULL, 0, 0);
		nxt[SIDE_C]++;
		if (++g->open > g->peak_open)
			g->peak_open = g->open;
		f->phase = f->verdict == GV_REFUSED ? PH_REFUSE : PH_SYNACK;
		f->t_ns += f->srv_ns;
		break;
	case PH_SYNACK:
		gen_emit(g, f, SIDE_S, GEN_SYN | GEN_ACK, nxt[SIDE_S],
			 nxt[SIDE_C], GO_SYN, 65160, NULL, 0, 0);
		nxt[SIDE_S]++;
		f->phase = PH_ACK3;
		f->t_ns += f->rtt_ns;
		break;
	case PH_ACK3:
		gen_ts_seg(g, f, SIDE_C, GEN_ACK, nxt[SIDE_C], nxt[SIDE_S]);
		gen_next_round(g, f, 1);
		break;
	case PH_REQ: {
		const struct gen_tmpl *q = &kind->req[rng_below(r, GEN_NREQ)];

		gen_emit(g, f, SIDE_C, GEN_PSH | GEN_ACK, nxt[SIDE_C],
			 nxt[SIDE_S], GO_TS, f->win[SIDE_C], q, 0, q->len);
		nxt[SIDE_C] += q->len;
		gen_plan_round(g, f);
		f->resp_seq0 = nxt[SIDE_S];
		if (f->verdict == GV_HALF_CLOSE && f->last_round) {
			f->phase = PH_HC_FIN;
			f->t_ns += rng_log_ns(r, 5 * GEN_US, 100 * GEN_US);
		} else {
			f->phase = PH_RESP;
			f->t_ns += rng_log_ns(r, 50 * GEN_US, 200 * GEN_MS);
			f->resp_t0_ns = f->t_ns;
		}
		break;
	}
	case PH_RESP: {
		const struct gen_tmpl *rs = &kind->resp[f->resp_idx];
		uint32_t mss = gen_seg_payload(f->fam);
		uint64_t ts, ta;

		ts = gen_next_seg_ns(f);
		ta = gen_next_ack_ns(f);
		if (ts <= ta) {
			uint32_t off = f->seg_i * mss, len = rs->len - off;
			uint8_t fl = GEN_ACK;

			if (len > mss)
				len = mss;

			if (++f->seg_i == f->seg_k)
				fl |= GEN_PSH;
			gen_emit(g, f, SIDE_S, fl, f->resp_seq0 + off,
				 nxt[SIDE_C], GO_TS, f->win[SIDE_S], rs, off,
				 len);
			nxt[SIDE_S] = f->resp_seq0 + off + len;
		} else {
			uint32_t s = gen_ack_seg(f, f->ack_j++);
			uint32_t acked = (s + 1) * mss;

			if (acked > rs->len)
				acked = rs->len;
			gen_ts_seg(g, f, SIDE_C, GEN_ACK, nxt[SIDE_C],
				   f->resp_seq0 + acked);
		}
		ts = gen_next_seg_ns(f);
		ta = gen_next_ack_ns(f);
		if (ts != UINT64_MAX || ta != UINT64_MAX)
			f->t_ns = ts < ta ? ts : ta;
		else
			gen_next_round(g, f, 0);
		break;
	}
	case PH_HC_FIN:
		f->fin_frame = g->frames + 1;
		f->fin_ns = f->t_ns;
		gen_ts_seg(g, f, SIDE_C, GEN_FIN | GEN_ACK, nxt[SIDE_C],
			   nxt[SIDE_S]);
		nxt[SIDE_C]++;
		f->phase = PH_HC_ACK;
		f->t_ns += f->srv_ns;
		break;
	case PH_HC_ACK:
		gen_ts_seg(g, f, SIDE_S, GEN_ACK, nxt[SIDE_S], nxt[SIDE_C]);
		f->ack_fin_ns = f->t_ns;
		if (f->seg_k) {
			f->phase = PH_RESP;
			f->t_ns += rng_log_ns(r, 50 * GEN_US, 200 * GEN_MS);
			f->resp_t0_ns = f->t_ns;
		} else {
			f->phase = PH_PFIN;
			f->t_ns += rng_log_ns(r, 10 * GEN_US, 50 * GEN_MS);
		}
		break;
	case PH_FIN1:
		f->fin_frame = g->frames + 1;
		f->fin_ns = f->t_ns;
		gen_ts_seg(g, f, a, GEN_FIN | GEN_ACK, nxt[a], nxt[p]);
		nxt[a]++;
		if (f->verdict == GV_FIN_UNACKED) {
			f->phase = PH_FIN_RTX;
			f->t_ns += f->rto_ns;
		} else if (f->verdict == GV_SIMULTANEOUS) {
			/* The peer's FIN was already on its way. */
			f->phase = PH_SIM_FIN2;
			f->t_ns += gen_sim_delay_ns(r, f);
		} else if (f->combined) {
			f->phase = PH_PFIN;
			f->t_ns += gen_react_ns(f, p);
		} else {
			f->phase = PH_PACK;
			f->t_ns += gen_react_ns(f, p);
		}
		break;
	case PH_FIN_RTX:
		gen_ts_seg(g, f, a, GEN_FIN | GEN_ACK, nxt[a] - 1, nxt[p]);
		f->rto_ns *= 2;
		if (--f->retrans) {
			f->t_ns += f->rto_ns;
		} else {
			f->phase = PH_DONE;
		}
		break;
	case PH_PACK:
		gen_ts_seg(g, f, p, GEN_ACK, nxt[p], nxt[a]);
		f->ack_fin_ns = f->t_ns;
		if (f->verdict == GV_NEVER_CLOSED) {
			f->phase = PH_DONE;
			break;
		}
		f->phase = PH_PFIN;
		if (f->verdict == GV_LATE_CLOSE)
			f->t_ns += g->opts->linger_late_ns +
				   rng_below(r, 250 * GEN_MS);
		else
			f->t_ns += gen_clean_wait_ns(g);
		break;
	case PH_PFIN:
		gen_ts_seg(g, f, p, GEN_FIN | GEN_ACK, nxt[p], nxt[a]);
		nxt[p]++;
		f->close_ns = f->t_ns;
		if (f->combined)
			f->ack_fin_ns = f->t_ns;
		/* An orphaned FIN_WAIT2 is gone: the late FIN meets a RST. */
		f->phase = f->close_ns - f->fin_ns > GEN_FIN_TIMEOUT_NS
				   ? PH_ARST
				   : PH_AACK;
		f->t_ns += gen_react_ns(f, a);
		break;
	case PH_AACK:
		gen_ts_seg(g, f, a, GEN_ACK, nxt[a], nxt[p]);
		f->phase = PH_DONE;
		break;
	case PH_ARST:
		gen_emit(g, f, a, GEN_RST, nxt[a], 0, GO_NONE, 0, NULL, 0, 0);
		f->phase = PH_DONE;
		break;
	case PH_RST:
		gen_emit(g, f, a, GEN_RST | GEN_ACK, nxt[a], nxt[p], GO_NONE, 0,
			 NULL, 0, 0);
		f->phase = PH_DONE;
		break;
	case PH_REFUSE:
		gen_emit(g, f, SIDE_S, GEN_RST | GEN_ACK, 0, nxt[SIDE_C],
			 GO_NONE, 0, NULL, 0, 0);
		f->phase = PH_DONE;
		break;
	case PH_SIM_FIN2:
		/* Sent before the first FIN arrived: does not ACK it. */
		gen_ts_seg(g, f, p, GEN_FIN | GEN_ACK, nxt[p], nxt[a] - 1);
		nxt[p]++;
		f->phase = PH_SIM_SACK;
		f->t_ns += f->srv_ns;
		break;
	case PH_SIM_SACK:
		gen_ts_seg(g, f, SIDE_S, GEN_ACK, nxt[SIDE_S], nxt[SIDE_C]);
		f->phase = PH_SIM_CACK;
		{
			uint64_t t = f->fin_ns + f->rtt_ns;

			f->t_ns = t > f->t_ns ? t : f->t_ns + GEN_US;
		}
		break;
	case PH_SIM_CACK:
		gen_ts_seg(g, f, SIDE_C, GEN_ACK, nxt[SIDE_C], nxt[SIDE_S]);
		f->phase = PH_DONE;
		break;
	default:
		f->phase = PH_DONE;
		break;
	}
}

/* The verdict the truth gives a finished flow, from what was emitted. */
static enum gen_verdict gen_truth_verdict(const struct gen *g,
					  const struct gen_flow *f)
{
	if (f->verdict == GV_CLEAN || f->verdict == GV_LATE_CLOSE)
		return f->close_ns - f->ack_fin_ns > g->opts->threshold_ns
			       ? GV_LATE_CLOSE
			       : GV_CLEAN;
	return (enum gen_verdict)f->verdict;
}

/* Count a flow under verdict v; writes its truth line with --truth-flows. */
static void gen_account(struct gen *g, const struct gen_flow *f,
			enum gen_verdict v)
{
	struct gen_svc_stats *st = &g->stats[f->svc * 2U + (f->fam == 6)];
	int has_cw = f->close_ns && f->ack_fin_ns;
	uint64_t cw = has_cw ? f->close_ns - f->ack_fin_ns : 0;

	g->verdicts[v]++;
	st->verdicts[v]++;
	st->flows++;
	if (cw > st->close_wait_max_ns)
		st->close_wait_max_ns = cw;
	if (g->opts->truth_flows) {
		char cli[64], srv[64], cwbuf[32] = "null";
		const char *active = "null";

		gen_endpoint(cli, sizeof(cli), f->fam, 0, f->host, f->cport);
		gen_endpoint(srv, sizeof(srv), f->fam, 1, f->svc,
			     gen_svc_port(f->svc));
		if (f->fin_frame || v == GV_RESET)
			active = f->active == SIDE_C ? "\"client\""
						     : "\"server\"";
		if (has_cw)
			snprintf(cwbuf, sizeof(cwbuf), "%" PRIu64, cw);
		fprintf(g->truth,
			"{\"type\":\"flow\",\"id\":%" PRIu64
			",\"client\":\"%s\",\"server\":\"%s\","
			"\"verdict\":\"%s\",\"active\":%s,"
			"\"syn_frame\":%" PRIu64 ",\"fin_frame\":%" PRIu64
			",\"close_wait_ns\":%s,\"packets\":%" PRIu32 "}\n",
			f->id, cli, srv, gen_verdict_names[v], active,
			f->syn_frame, f->fin_frame, cwbuf, f->packets);
	}
}

/* Account a finished flow; 0, or -ENOMEM. */
static int gen_finish(struct gen *g, const struct gen_flow *f)
{
	enum gen_verdict v = gen_truth_verdict(g, f);

	g->open--;
	if (v != GV_NEVER_CLOSED) {
		gen_account(g, f, v);
		return 0;
	}
	if (g->npending == g->cap_pending) {
		size_t cap = g->cap_pending ? g->cap_pending * 2 : 1024;
		struct gen_flow *p = realloc(g->pending, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		g->pending = p;
		g->cap_pending = cap;
	}
	g->pending[g->npending++] = *f;
	return 0;
}

/* The capture has ended at g->last_ns: judge the never-closed flows. */
static void gen_settle_pending(struct gen *g)
{
	for (size_t i = 0; i < g->npending; i++) {
		const struct gen_flow *f = &g->pending[i];

		gen_account(g, f,
			    g->last_ns - f->ack_fin_ns >= g->opts->threshold_ns
				    ? GV_NEVER_CLOSED
				    : GV_CLOSING);
	}
	g->npending = 0;
}

static void gen_print_verdicts(FILE *fp, const uint64_t *counts)
{
	int v;

	fputs("\"verdicts\":{", fp);
	for (v = 0; v < GV__COUNT; v++)
		fprintf(fp, "%s\"%s\":%" PRIu64, v ? "," : "",
			gen_verdict_names[v], counts[v]);
	fputc('}', fp);
}

/* The summary line, then one line per service that had flows. */
static void gen_print_truth(struct gen *g)
{
	const struct gen_opts *o = g->opts;
	FILE *fp = g->truth;
	uint64_t s;

	gen_settle_pending(g);
	fprintf(fp,
		"{\"type\":\"summary\",\"generator\":\"ftgen\","
		"\"version\":\"%s\",\"seed\":%" PRIu64 ",\"flows\":%" PRIu64
		",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"ipv6_flows\":%" PRIu64 ",\"first_ns\":%" PRIu64
		",\"last_ns\":%" PRIu64 ",\"peak_open\":%" PRIu64
		",\"concurrency\":%" PRIu64 ",\"threshold_ns\":%" PRIu64
		",\"linger_late_ns\":%" PRIu64
		",\"in_close_wait_at_end\":%" PRIu64 ",",
		FT_VERSION, o->seed, g->started, g->frames, g->bytes,
		g->ipv6_flows, g->first_ns, g->last_ns, g->peak_open,
		o->concurrency, o->threshold_ns, o->linger_late_ns,
		g->verdicts[GV_NEVER_CLOSED] + g->verdicts[GV_CLOSING]);
	gen_print_verdicts(fp, g->verdicts);
	fputs("}\n", fp);
	for (s = 0; s < o->services * 2; s++) {
		const struct gen_svc_stats *st = &g->stats[s];
		uint32_t svc = (uint32_t)(s / 2);
		char ep[64];

		if (!st->flows)
			continue;
		gen_endpoint(ep, sizeof(ep), s & 1 ? 6 : 4, 1, svc,
			     gen_svc_port(svc));
		fprintf(fp,
			"{\"type\":\"service\",\"service\":\"%s\","
			"\"flows\":%" PRIu64 ",\"close_wait_max_ns\":%" PRIu64
			",\"in_close_wait_at_end\":%" PRIu64 ",",
			ep, st->flows, st->close_wait_max_ns,
			st->verdicts[GV_NEVER_CLOSED] +
				st->verdicts[GV_CLOSING]);
		gen_print_verdicts(fp, st->verdicts);
		fputs("}\n", fp);
	}
}

/* Min-heap of flow slots ordered by (next packet time, flow id). */
static int heap_less(const struct gen *g, uint32_t x, uint32_t y)
{
	const struct gen_flow *a = &g->flows[x], *b = &g->flows[y];

	return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->id < b->id);
}

static void heap_down(struct gen *g, size_t i)
{
	uint32_t *h = g->heap;
	size_t n = g->heap_n;
	uint32_t v = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap_less(g, h[c + 1], h[c]))
			c++;
		if (!heap_less(g, h[c], v))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

/*
 * Rough mean lifetime of a flow, from the same distributions gen_step()
 * draws from: the window over which the first flows start.
 */
static uint64_t gen_ramp_ns(const struct gen *g)
{
	const struct gen_opts *o = g->opts;
	double rtt = gen_log_mean(100e3, 20e6), think = gen_log_mean(50e3, 2e8);
	double gap = gen_log_mean(1e5, 1e9), idle = gen_log_mean(1e6, 1e9);
	double rounds = o->packets_per_flow > 7
				? (double)(o->packets_per_flow - 7) / 4.0
				: 0.0;
	double late = (double)o->mix[GV_LATE_CLOSE] / (double)g->mix_total;
	double d = 1.5 * rtt + idle + rounds * (think + rtt + gap) +
		   late * (double)o->linger_late_ns + 0.1e9;

	return (uint64_t)d;
}

/*
 * Generate the whole capture. Returns 0 or -errno; err says which step
 * failed. Everything allocated here is freed before returning.
 */
static int gen_run(struct gen *g)
{
	const struct gen_opts *o = g->opts;
	uint64_t slots = o->concurrency < o->flows ? o->concurrency : o->flows;
	uint64_t i;

	g->flows = calloc(slots, sizeof(*g->flows));
	g->heap = calloc(slots, sizeof(*g->heap));
	if (!g->flows || !g->heap)
		return -ENOMEM;
	g->ramp_ns = gen_ramp_ns(g);

	gen_pcap_header(g);
	for (i = 0; i < slots; i++) {
		uint64_t t = o->start_wall_ns +
			     (uint64_t)(rng_unit(&g->rng) * (double)g->ramp_ns);

		gen_flow_init(g, &g->flows[i], t);
		g->heap[i] = (uint32_t)i;
	}
	g->heap_n = slots;
	for (i = slots / 2; i-- > 0;)
		heap_down(g, i);

	while (g->heap_n) {
		struct gen_flow *f = &g->flows[g->heap[0]];

		gen_step(g, f);
		if (f->phase == PH_DONE) {
			uint64_t t = f->t_ns;

			if (gen_finish(g, f))
				return -ENOMEM;
			if (g->started < o->flows) {
				gen_flow_init(g, f,
					      t + rng_log_ns(&g->rng, GEN_US,
							     10 * GEN_MS));
			} else {
				g->heap[0] = g->heap[--g->heap_n];
			}
		}
		if (g->heap_n)
			heap_down(g, 0);
		if (g->out.err)
			break;
	}
	return out_flush(&g->out);
}

/* Free everything gen_run() and gen_templates() allocated. */
static void gen_release(struct gen *g)
{
	int k, i;

	for (k = 0; k < APP__COUNT; k++) {
		for (i = 0; i < GEN_NREQ; i++)
			tmpl_release(&g->kinds[k].req[i]);
		for (i = 0; i < GEN_NRESP; i++)
			tmpl_release(&g->kinds[k].resp[i]);
	}
	free(g->flows);
	free(g->pending);
	free(g->heap);
	free(g->ports);
	free(g->stats);
	free(g->out.buf);
	g->flows = NULL;
	g->heap = NULL;
	g->ports = NULL;
	g->stats = NULL;
	g->out.buf = NULL;
}

/* Option parsing. Each parser returns 0 or -EINVAL with a message. */

static int opt_u64(const char *name, const char *s, uint64_t lo, uint64_t hi,
		   uint64_t *out, char *err)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || end == s || *end != '\0' ||
	    v < lo || v > hi) {
		snprintf(err, GEN_ERRBUF_SIZE,
			 "--%s: '%s' is not an integer in [%" PRIu64
			 ", %" PRIu64 "]",
			 name, s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Seconds as "S" or "S.FRACTION" (up to 9 digits), exact, into ns. */
static int opt_secs(const char *name, const char *s, uint64_t max_s,
		    uint64_t *out_ns, char *err)
{
	char *end = NULL;
	unsigned long long sec;
	uint64_t frac = 0, scale = GEN_NS;

	errno = 0;
	sec = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || end == s || sec > max_s)
		goto bad;
	if (*end == '.') {
		const char *p = end + 1;

		if (*p == '\0')
			goto bad;
		for (; *p; p++) {
			if (*p < '0' || *p > '9' || scale == 1)
				goto bad;
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	} else if (*end != '\0') {
		goto bad;
	}
	*out_ns = sec * GEN_NS + frac;
	return 0;
bad:
	snprintf(err, GEN_ERRBUF_SIZE,
		 "--%s: '%s' is not a number of seconds in [0, %" PRIu64 "]",
		 name, s, max_s);
	return -EINVAL;
}

static int opt_share(const char *name, const char *s, double *out, char *err)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= 0.0 && v <= 1.0)) {
		snprintf(err, GEN_ERRBUF_SIZE,
			 "--%s: '%s' is not a share in [0, 1]", name, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* "clean=70,never-closed=10,...": weights, any sum above zero. */
static int opt_mix(const char *s, uint64_t *mix, char *err)
{
	const char *p = s;
	uint64_t total = 0;
	int seen[GV__COUNT] = {0};
	int v;

	for (v = 0; v < GV__COUNT; v++)
		mix[v] = 0;
	while (*p) {
		const char *eq = strchr(p, '='), *comma = strchr(p, ',');
		char *end = NULL;
		unsigned long long w;
		size_t nlen;

		if (!comma)
			comma = p + strlen(p);
		if (!eq || eq > comma) {
			snprintf(err, GEN_ERRBUF_SIZE,
				 "--mix: expected VERDICT=WEIGHT at '%s'", p);
			return -EINVAL;
		}
		nlen = (size_t)(eq - p);
		for (v = 0; v < GV__COUNT; v++)
			if (strlen(gen_verdict_names[v]) == nlen &&
			    !strncmp(p, gen_verdict_names[v], nlen))
				break;
		if (v == GV__COUNT || seen[v]) {
			snprintf(err, GEN_ERRBUF_SIZE,
				 "--mix: %s verdict '%.*s' (known: clean, "
				 "late-close, never-closed, half-close, reset, "
				 "fin-unacked, simultaneous, refused, open)",
				 v == GV__COUNT ? "unknown" : "repeated",
				 (int)nlen, p);
			return -EINVAL;
		}
		errno = 0;
		w = strtoull(eq + 1, &end, 10);
		if (eq[1] < '0' || eq[1] > '9' || errno || end != comma ||
		    w > 1000000) {
			snprintf(err, GEN_ERRBUF_SIZE,
				 "--mix: weight of '%s' is not an integer in "
				 "[0, 1000000]",
				 gen_verdict_names[v]);
			return -EINVAL;
		}
		seen[v] = 1;
		mix[v] = w;
		total += w;
		p = *comma ? comma + 1 : comma;
	}
	if (!total) {
		snprintf(err, GEN_ERRBUF_SIZE, "--mix: weights add up to 0");
		return -EINVAL;
	}
	return 0;
}

enum {
	OPT_FLOWS = 256,
	OPT_CONCURRENCY,
	OPT_PPF,
	OPT_IPV6,
	OPT_MIX,
	OPT_LINGER,
	OPT_THRESHOLD,
	OPT_SERVICES,
	OPT_CLIENTS,
	OPT_SEED,
	OPT_START,
	OPT_SNAPLEN,
	OPT_PRECISION,
	OPT_TRUTH,
	OPT_TRUTH_FLOWS,
	OPT_VERSION,
};

static const struct option gen_long_opts[] = {
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"concurrency", required_argument, NULL, OPT_CONCURRENCY},
	{"packets-per-flow", required_argument, NULL, OPT_PPF},
	{"ipv6", required_argument, NULL, OPT_IPV6},
	{"mix", required_argument, NULL, OPT_MIX},
	{"linger-late", required_argument, NULL, OPT_LINGER},
	{"threshold", required_argument, NULL, OPT_THRESHOLD},
	{"services", required_argument, NULL, OPT_SERVICES},
	{"clients", required_argument, NULL, OPT_CLIENTS},
	{"seed", required_argument, NULL, OPT_SEED},
	{"start-time", required_argument, NULL, OPT_START},
	{"snaplen", required_argument, NULL, OPT_SNAPLEN},
	{"precision", required_argument, NULL, OPT_PRECISION},
	{"truth", required_argument, NULL, OPT_TRUTH},
	{"truth-flows", no_argument, NULL, OPT_TRUTH_FLOWS},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/*
 * Parse argv into *o (which the caller has set to the defaults). Never
 * exits. Returns 0, or -EINVAL with a one-line message in err.
 */
static int gen_opts_parse(int argc, char **argv, struct gen_opts *o, char *err)
{
	int c, ret = 0;

	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, ":o:h", gen_long_opts,
					NULL)) != -1) {
		switch (c) {
		case OPT_FLOWS:
			ret = opt_u64("flows", optarg, 1, 1ULL << 40, &o->flows,
				      err);
			break;
		case OPT_CONCURRENCY:
			ret = opt_u64("concurrency", optarg, 1,
				      GEN_MAX_CONCURRENCY, &o->concurrency,
				      err);
			break;
		case OPT_PPF:
			ret = opt_u64("packets-per-flow", optarg, 1, 1000000,
				      &o->packets_per_flow, err);
			break;
		case OPT_IPV6:
			ret = opt_share("ipv6", optarg, &o->ipv6_share, err);
			break;
		case OPT_MIX:
			ret = opt_mix(optarg, o->mix, err);
			break;
		case OPT_LINGER:
			ret = opt_secs("linger-late", optarg, 86400,
				       &o->linger_late_ns, err);
			break;
		case OPT_THRESHOLD:
			ret = opt_secs("threshold", optarg, 86400,
				       &o->threshold_ns, err);
			break;
		case OPT_SERVICES:
			ret = opt_u64("services", optarg, 1, GEN_MAX_SERVICES,
				      &o->services, err);
			break;
		case OPT_CLIENTS:
			ret = opt_u64("clients", optarg, 1, GEN_MAX_CLIENTS,
				      &o->clients, err);
			break;
		case OPT_SEED:
			ret = opt_u64("seed", optarg, 0, UINT64_MAX, &o->seed,
				      err);
			break;
		case OPT_START:
			ret = opt_secs("start-time", optarg, 4000000000ULL,
				       &o->start_wall_ns, err);
			break;
		case OPT_SNAPLEN:
			ret = opt_u64("snaplen", optarg, 1, GEN_MAX_SNAPLEN,
				      &o->snaplen, err);
			break;
		case OPT_PRECISION:
			if (!strcmp(optarg, "nano")) {
				o->nano = 1;
			} else if (!strcmp(optarg, "micro")) {
				o->nano = 0;
			} else {
				snprintf(err, GEN_ERRBUF_SIZE,
					 "--precision: '%s' is not nano or "
					 "micro",
					 optarg);
				ret = -EINVAL;
			}
			break;
		case OPT_TRUTH:
			o->truth_path = optarg;
			break;
		case OPT_TRUTH_FLOWS:
			o->truth_flows = 1;
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case 'h':
			o->help = 1;
			break;
		case OPT_VERSION:
			o->version = 1;
			break;
		case ':':
			snprintf(err, GEN_ERRBUF_SIZE, "%s needs a value",
				 argv[optind - 1]);
			ret = -EINVAL;
			break;
		default:
			snprintf(err, GEN_ERRBUF_SIZE, "unknown option '%s'",
				 argv[optind - 1]);
			ret = -EINVAL;
			break;
		}
	}
	if (!ret && optind < argc) {
		snprintf(err, GEN_ERRBUF_SIZE, "unexpected argument '%s'",
			 argv[optind]);
		ret = -EINVAL;
	}
	return ret;
}

static void gen_usage(FILE *fp)
{
	fputs("usage: ftgen [OPTIONS] -o FILE|-\n"
	      "Write a pcap capture of realistic TCP flows and the truth "
	      "about them.\n\n"
	      "  --flows N             flows in total (10000)\n"
	      "  --concurrency C       flows open at once (1000)\n"
	      "  --packets-per-flow P  approximate packets per flow (20)\n"
	      "  --ipv6 SHARE          share of IPv6 flows, 0..1 (0.2)\n"
	      "  --mix V=W,...         verdict weights (clean=70,"
	      "never-closed=10,\n"
	      "                        late-close=10,reset=10); also "
	      "half-close,\n"
	      "                        fin-unacked, simultaneous, refused, "
	      "open\n"
	      "  --linger-late SECS    close-wait of late closers (7)\n"
	      "  --threshold SECS      linger threshold of the truth (5)\n"
	      "  --services N          server ip:port endpoints (16)\n"
	      "  --clients N           client hosts (4096)\n"
	      "  --seed S              same seed, same bytes (1)\n"
	      "  --start-time SECS     first flow, seconds since the epoch\n"
	      "                        (1704067200)\n"
	      "  --snaplen N           bytes kept per packet (262144)\n"
	      "  --precision nano|micro  pcap timestamp resolution (nano)\n"
	      "  -o, --output FILE     capture file, - for stdout (-)\n"
	      "  --truth FILE          truth as JSON Lines (stderr)\n"
	      "  --truth-flows         one truth line per flow too\n"
	      "  -h, --help            this text\n"
	      "  --version             print the version\n",
	      fp);
}

/* Everything gen_run() needs besides the flows: buffers, files, pools. */
static int gen_setup(struct gen *g, char *err)
{
	const struct gen_opts *o = g->opts;
	uint64_t i, n6;
	int v, ret;

	g->rng.s = o->seed;
	for (v = 0; v < GV__COUNT; v++)
		g->mix_total += o->mix[v];

	/* Service pools: each family gets its share, at least one. */
	n6 = (uint64_t)((double)o->services * o->ipv6_share + 0.5);
	if (o->ipv6_share > 0 && n6 == 0)
		n6 = 1;
	if (o->ipv6_share < 1 && n6 == o->services && o->services > 1)
		n6 = o->services - 1;
	g->n6 = n6 ? n6 : 1;
	g->n4 = o->services - n6 ? o->services - n6 : 1;

	g->out.buf = malloc(GEN_OUTBUF_SIZE);
	g->ports = malloc(o->clients * sizeof(*g->ports));
	g->stats = calloc(o->services * 2, sizeof(*g->stats));
	if (!g->out.buf || !g->ports || !g->stats) {
		snprintf(err, GEN_ERRBUF_SIZE, "out of memory");
		return -ENOMEM;
	}
	/* Each client host starts its ephemeral ports somewhere random. */
	for (i = 0; i < o->clients; i++)
		g->ports[i] = (uint16_t)(GEN_PORT_LO +
					 rng_below(&g->rng, GEN_PORT_SPAN));
	ret = gen_templates(g);
	if (ret)
		snprintf(err, GEN_ERRBUF_SIZE, "out of memory");
	return ret;
}

int main(int argc, char **argv)
{
	struct gen_opts opts = gen_opts_default;
	struct gen g;
	char err[GEN_ERRBUF_SIZE] = "";
	FILE *out = NULL, *truth = NULL;
	int ret, status = 1;

	memset(&g, 0, sizeof(g));
	ret = gen_opts_parse(argc, argv, &opts, err);
	if (ret) {
		fprintf(stderr, "ftgen: %s (try --help)\n", err);
		goto out;
	}
	if (opts.help || opts.version) {
		if (opts.help)
			gen_usage(stdout);
		else
			printf("ftgen %s\n", FT_VERSION);
		status = 0;
		goto out;
	}

	status = 2;
	if (!strcmp(opts.out_path, "-")) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "ftgen: refusing to write a capture "
					"to a terminal (use -o FILE)\n");
			status = 1;
			goto out;
		}
		out = stdout;
	} else {
		out = fopen(opts.out_path, "wb");
		if (!out) {
			fprintf(stderr, "ftgen: %s: %s\n", opts.out_path,
				strerror(errno));
			goto out;
		}
	}
	truth = stderr;
	if (opts.truth_path && strcmp(opts.truth_path, "-")) {
		truth = fopen(opts.truth_path, "w");
		if (!truth) {
			fprintf(stderr, "ftgen: %s: %s\n", opts.truth_path,
				strerror(errno));
			goto out;
		}
	}

	g.opts = &opts;
	g.out.fp = out;
	g.truth = truth;
	ret = gen_setup(&g, err);
	if (ret) {
		fprintf(stderr, "ftgen: %s\n", err);
		goto out;
	}
	ret = gen_run(&g);
	if (ret == -ENOMEM) {
		fprintf(stderr,
			"ftgen: out of memory for %" PRIu64
			" concurrent flows\n",
			opts.concurrency);
		goto out;
	}
	if (ret || fflush(out) || ferror(out)) {
		fprintf(stderr, "ftgen: %s: write error: %s\n",
			strcmp(opts.out_path, "-") ? opts.out_path : "stdout",
			strerror(errno ? errno : EIO));
		goto out;
	}
	gen_print_truth(&g);
	if (fflush(truth) || ferror(truth)) {
		fprintf(stderr, "ftgen: truth: write error\n");
		goto out;
	}
	status = 0;
out:
	gen_release(&g);
	if (truth && truth != stderr && fclose(truth) && !status)
		status = 2;
	if (out && out != stdout && fclose(out) && !status) {
		fprintf(stderr, "ftgen: %s: %s\n", opts.out_path,
			strerror(errno));
		status = 2;
	}
	return status;
}
