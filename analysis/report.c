/* SPDX-License-Identifier: MIT */
/*
 * Reports: see report.h. Groups live in a uthash table keyed by side and
 * endpoint; each keeps verdict counts, a close-wait sample, a CLOSE_WAIT
 * timeline and its worst flows.
 */
#include "analysis/report.h"
#include "analysis/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/index.h"
#include "analysis/lbuf.h"

/* Group keys hash with idx_hash (uthash's Jenkins shows in profiles). */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                \
	do {                                                                \
		(hashv) = (unsigned)idx_hash(keyptr, keylen);               \
	} while (0)

#include <uthash.h>


#define RPT_WORST RPT_GROUP_WORST
#define NS ((uint64_t)1000000000)

enum rpt_side { SIDE_SERVER = 0, SIDE_CLIENT, SIDE_PROCESS };

struct rpt_gkey {
	uint8_t addr[16];
	uint16_t port;
	uint8_t family;
	uint8_t side;
	uint32_t pid;          /* process (kernel): owner pid, 0 unknown */
	char comm[16];
	uint8_t other;         /* the side's bucket past RPT_GROUPS_MAX */
	uint8_t zero[3];
};

/* What a report keeps of a flow worth listing. */
struct rpt_brief {
	uint64_t id;
	uint64_t close_wait_ns;
	uint64_t first_frame;
	uint64_t last_frame;
	struct flow_key key;
	int8_t client;
	uint8_t verdict;
	uint8_t at_end;
	uint8_t roles_inferred;
	uint8_t lossy;
	uint8_t sock;          /* a kernel socket: owner below, no frames */
	uint8_t remote;        /* its passive side is on another host */
	uint64_t fin_wait_ns;  /* with remote: its wait in FIN_WAIT2 */
	uint32_t pid;
	char comm[16];
	char container[13]; /* the owner's container short id, or "" */
};

struct rpt_group {
	struct rpt_gkey key;
	uint64_t flows;
	uint64_t verdicts[VD__COUNT];
	uint64_t client_leaks;   /* service: flows a client left open */
	/* kernel: sockets of the service's own (its server side); with
	 * both ends on this host, flows counts a connection twice */
	uint64_t own;
	uint64_t cw_n;           /* close-wait values seen */
	uint64_t cw_max;
	uint64_t late_max;       /* longest close-wait of a late close */
	/* kernel: leaks of a passive side on another host, seen from this
	 * host's sockets, and their longest wait in FIN_WAIT2 */
	uint64_t remote_leaks;
	uint64_t remote_wait_max;
	uint64_t cw_min;
	uint64_t *vals;          /* exact close-wait values, up to
				    RPT_EXACT_VALUES; NULL once in hist */
	uint32_t nvals;
	uint32_t cap_vals;       /* grows to RPT_EXACT_VALUES */
	uint64_t *hist;          /* RPT_CW_BUCKETS counts, past the exact
				    values (they were moved in) */
	uint64_t cw_now;         /* sockets of this side in CLOSE_WAIT now */
	uint64_t cw_peak;
	uint64_t cw_peak_ns;
	uint64_t at_end;         /* still in CLOSE_WAIT at the end */
	uint64_t oldest_at_end;
	uint32_t *tl;            /* max in CLOSE_WAIT per timeline bucket */
	uint64_t tl_width;
	int tl_last;
	struct rpt_brief worst[RPT_WORST];
	unsigned nworst;
	struct rpt_gkey peer;    /* client host: the service it talked to */
	uint8_t peer_many;
	UT_hash_handle hh;
};

struct rpt {
	struct rpt_config cfg;
	struct rpt_group *groups;
	size_t ngroups[3];	 /* groups per side (enum rpt_side) */
	/* Lookups go through the open-addressing index (a uthash chain
	 * walk costs a cache miss per link); uthash keeps the list. */
	struct idx gidx;
	struct rpt_brief *worst;
	unsigned nworst;
	uint64_t origin_ns;
	uint64_t tl_width;
	uint64_t verdicts[VD__COUNT];
	uint64_t flows;
	int header_done;
	int write_error;
	uint64_t drops;          /* capture drops reported so far */
	uint64_t drop_first_ns;  /* first and last time drops grew */
	uint64_t drop_last_ns;
	uint64_t lossy_flows;
	uint64_t one_way_flows;	 /* flows seen one way only */
	uint64_t hist[RPT_HIST_BINS][RPT_CW__CLASSES];
	int has_evidence;
	struct rpt_evidence ev;
	char *ev_files[RPT_EVIDENCE_FILES];
	char ev_error[256];
	int end_known;           /* the observation's true end is known */
	uint64_t span_ns;        /* first packet to the end (rpt_finish) */
	int has_view;            /* built by rpt_finish() */
	struct rpt_view view;
	struct rpt_group_view *gviews;
	struct rpt_flow_view *fviews;
};

const uint64_t rpt_hist_edges[RPT_HIST_BINS - 1] = {
	NS / 1000,  NS / 100, NS / 10,  NS / 2,    NS,        2 * NS,
	5 * NS,     10 * NS,  30 * NS,  60 * NS,   300 * NS,  1800 * NS,
};

/* Rank of a verdict among the worst flows; 0: not listed there. */
static int severity(unsigned verdict)
{
	const struct vd_info *vi = vd_info((enum vd_verdict)verdict);

	return vi->listed ? (int)vi->rank : 0;
}

void rpt_set_end_known(struct rpt *r, int known)
{
	r->end_known = known;
}

struct rpt *rpt_new(const struct rpt_config *cfg)
{
	struct rpt *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = *cfg;
	if (!r->cfg.max_groups)
		r->cfg.max_groups = RPT_GROUPS_MAX;
	if (r->cfg.top) {
		r->worst = calloc(r->cfg.top, sizeof(*r->worst));
		if (!r->worst) {
			free(r);
			return NULL;
		}
	}
	r->tl_width = RPT_TL_FIRST_NS;
	return r;
}

void rpt_free(struct rpt *r)
{
	struct rpt_group *g, *tmp;

	if (!r)
		return;
	idx_free(&r->gidx);
	HASH_ITER(hh, r->groups, g, tmp)
	{
		HASH_DEL(r->groups, g);
		free(g->vals);
		free(g->hist);
		free(g->tl);
		free(g);
	}
	free(r->worst);
	free(r->gviews);
	free(r->fviews);
	for (size_t i = 0; i < RPT_EVIDENCE_FILES; i++)
		free(r->ev_files[i]);
	free(r);
}

void rpt_set_evidence(struct rpt *r, const struct rpt_evidence *ev)
{
	size_t n = 0;

	for (size_t i = 0; i < RPT_EVIDENCE_FILES; i++) {
		free(r->ev_files[i]);
		r->ev_files[i] = NULL;
	}
	r->ev = *ev;
	for (size_t i = 0; i < ev->nfiles && n < RPT_EVIDENCE_FILES; i++)
		if (ev->files[i] && (r->ev_files[n] = strdup(ev->files[i])))
			n++;
	snprintf(r->ev_error, sizeof(r->ev_error), "%s",
		 ev->error ? ev->error : "");
	r->ev.files = (const char *const *)r->ev_files;
	r->ev.nfiles = n;
	r->ev.error = r->ev_error[0] ? r->ev_error : NULL;
	r->has_evidence = 1;
}

const struct rpt_view *rpt_get_view(const struct rpt *r)
{
	return r->has_view ? &r->view : NULL;
}

/* The bin of the report's close-wait histogram that holds v ns. */
static int hist_bin(uint64_t v)
{
	int bin = 0;

	while (bin < RPT_HIST_BINS - 1 && v >= rpt_hist_edges[bin])
		bin++;
	return bin;
}

static void hist_add(struct rpt *r, const struct td_result *res)
{
	int bin = hist_bin(res->close_wait_ns), cls;

	switch (res->verdict) {
	case VD_CLEAN:
	case VD_HALF_CLOSE:
		cls = RPT_CW_IN_TIME;
		break;
	case VD_LATE_CLOSE:
		cls = RPT_CW_LATE;
		break;
	case VD_NEVER_CLOSED:
		cls = RPT_CW_NEVER;
		break;
	default:
		cls = RPT_CW_OTHER;
	}
	r->hist[bin][cls]++;
}

void rpt_set_origin(struct rpt *r, uint64_t wall_ns)
{
	r->origin_ns = wall_ns;
}

void rpt_note_drops(struct rpt *r, uint64_t drops, uint64_t now_ns)
{
	if (drops <= r->drops)
		return;
	r->drops = drops;
	if (!r->drop_first_ns)
		r->drop_first_ns = now_ns;
	r->drop_last_ns = now_ns;
}

static int flow_lossy(const struct rpt *r, const struct td_flow *td)
{
	return r->drop_first_ns && r->drop_first_ns <= td->last_ns + 1 &&
	       r->drop_last_ns >= td->first_ns;
}

uint64_t rpt_verdict_count(const struct rpt *r, enum vd_verdict v)
{
	return (unsigned)v < VD__COUNT ? r->verdicts[v] : 0;
}

/* ---- formatting ---- */

/* t (NUL-terminated) into buf of n bytes, cut to fit as snprintf cuts */
static char *copy_cut(char *buf, size_t n, const char *t, size_t len)
{
	if (!n)
		return buf;
	if (len >= n)
		len = n - 1;
	memcpy(buf, t, len);
	buf[len] = '\0';
	return buf;
}

char *rpt_fmt_iso(char *buf, size_t n, uint64_t wall_ns)
{
	char t[LB_ISO_MAX];
	size_t len = lb_fmt_iso(t, wall_ns);

	return copy_cut(buf, n, t, len);
}

char *rpt_fmt_time(char *buf, size_t n, uint64_t wall_ns, int local)
{
	time_t sec = (time_t)(wall_ns / NS);
	struct tm tm;
	char day[32];
	long off;

	if (!local || !localtime_r(&sec, &tm))
		return rpt_fmt_iso(buf, n, wall_ns);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	snprintf(buf, n, "%s.%09" PRIu64 "%c%02ld:%02ld", day, wall_ns % NS,
		 off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
	return buf;
}

int rpt_no_flow_matched(const struct rpt *r)
{
	return r->cfg.filter && r->cfg.filter[0] && !r->flows;
}

char *rpt_fmt_duration(char *buf, size_t n, uint64_t ns)
{
	uint64_t s = ns / NS;

	if (!ns)
		snprintf(buf, n, "0s");
	else if (ns < 1000)
		snprintf(buf, n, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, n, "%" PRIu64 "us", ns / 1000);
	else if (ns < NS)
		snprintf(buf, n, "%" PRIu64 "ms", ns / 1000000);
	else if (s < 60 && !(ns % NS))
		snprintf(buf, n, "%" PRIu64 "s", s);
	else if (s < 60)
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 "s", s,
			 (ns % NS) / 1000000);
	else if (s < 3600)
		snprintf(buf, n, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, n, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 (s % 3600) / 60);
	return buf;
}

static char *fmt_addr(char *buf, size_t n, const uint8_t *addr,
		      uint8_t family)
{
	char t[LB_ADDR_MAX];
	size_t len = lb_fmt_addr(t, addr, family);

	return copy_cut(buf, n, t, len);
}

char *rpt_fmt_endpoint(char *buf, size_t n, const uint8_t *addr,
		       uint8_t family, uint16_t port)
{
	char t[LB_ENDPOINT_MAX];
	size_t len = lb_fmt_endpoint(t, addr, family, port);

	return copy_cut(buf, n, t, len);
}

static char *fmt_gkey(char *buf, size_t n, const struct rpt_gkey *k)
{
	if (k->other) {
		snprintf(buf, n, "other");
		return buf;
	}
	if (k->side == SIDE_PROCESS) {
		if (k->pid)
			snprintf(buf, n, "pid %u (%s)", k->pid, k->comm);
		else
			snprintf(buf, n, "owner unknown");
		return buf;
	}
	if (k->side == SIDE_CLIENT)
		return fmt_addr(buf, n, k->addr, k->family);
	return rpt_fmt_endpoint(buf, n, k->addr, k->family, k->port);
}

static char *fmt_num(char *buf, size_t n, uint64_t ns)
{
	snprintf(buf, n, "%" PRIu64 ".%09" PRIu64, ns / NS, ns % NS);
	return buf;
}

void rpt_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void endpoint_of(const struct flow_key *k, int idx, char *buf,
			size_t n)
{
	rpt_fmt_endpoint(buf, n, k->addr[idx], k->family, k->port[idx]);
}

static const char *role_name(const struct td_flow *td, int idx)
{
	if (idx < 0)
		return NULL;
	return idx == td->client ? "client" : "server";
}

/* Append to a display filter the tenant of a tunnel that names one. */
static void fmt_filter_tunnel(char *buf, size_t n, const struct flow_tunnel *t)
{
	static const char *const field[SEG_TUN__COUNT] = {
		[SEG_TUN_VXLAN] = "vxlan.vni",
		[SEG_TUN_GENEVE] = "geneve.vni",
		[SEG_TUN_GRE] = "gre.key",
		[SEG_TUN_ERSPAN] = "erspan.spanid",
		[SEG_TUN_MPLS] = "mpls.label",
		[SEG_TUN_PPPOE] = "pppoe.session_id",
	};
	size_t len = strlen(buf);

	if (t->kind < SEG_TUN__COUNT && field[t->kind] && !t->outer_family &&
	    len < n)
		snprintf(buf + len, n - len, " && %s==%u", field[t->kind],
			 t->id);
}

/* A Wireshark display filter that selects exactly this connection. */
static void fmt_filter(char *buf, size_t n, const struct flow_key *k,
		       uint64_t first_frame, uint64_t last_frame)
{
	const char *ip = k->family == SEG_IPV6 ? "ipv6.addr==" : "ip.addr==";
	char a[LB_ADDR_MAX];
	struct lbuf b;

	lb_init(&b, NULL);
	for (int i = 0; i < 2; i++) {
		size_t len = lb_fmt_addr(a, k->addr[i], k->family);

		lb_str(&b, ip);
		lb_raw(&b, a, len);
		lb_raw(&b, " && ", 4);
	}
	for (int i = 0; i < 2; i++) {
		lb_raw(&b, "tcp.port==", 10);
		lb_u64(&b, k->port[i]);
		lb_raw(&b, " && ", 4);
	}
	lb_raw(&b, "frame.number>=", 14);
	lb_u64(&b, first_frame);
	lb_raw(&b, " && frame.number<=", 18);
	lb_u64(&b, last_frame);
	copy_cut(buf, n, b.buf, b.n);
	fmt_filter_tunnel(buf, n, &k->tunnel);
}

/* ---- per-flow lines ---- */

static const char csv_header[] =
	"id,verdict,client,server,roles,active_closer,reset_by,reset_phase,"
	"signature,start,start_offset,end,end_offset,duration,close_wait,"
	"close_wait_start_offset,close_wait_end_offset,in_close_wait_at_end,"
	"fin_wait,client_fin_offset,server_fin_offset,client_rst_offset,"
	"server_rst_offset,packets,fins,rsts,client_bytes,server_bytes,"
	"first_frame,last_frame,end_reason,lossy,filter,close_wait_at_least,"
	"tunnel,one_way\n";

/* Kernel sockets: the same columns, then what only the kernel knows. */
static const char csv_sock_header[] =
	"id,verdict,client,server,roles,active_closer,reset_by,reset_phase,"
	"signature,start,start_offset,end,end_offset,duration,close_wait,"
	"close_wait_start_offset,close_wait_end_offset,in_close_wait_at_end,"
	"fin_wait,client_fin_offset,server_fin_offset,client_rst_offset,"
	"server_rst_offset,packets,fins,rsts,client_bytes,server_bytes,"
	"first_frame,last_frame,end_reason,lossy,filter,close_wait_at_least,"
	"tunnel,one_way,netns,cookie,ino,peer,local,state,passive,pid,comm,"
	"owner_from,closer_pid,closer_comm,container,pre_existing,"
	"fin_wait1_time,fin_wait2_time,last_ack_time,closing_time,"
	"time_wait_time,time_wait_sampled,reset_cause,unread,age,end_lost\n";

/*
 * One output line, built in memory (lbuf) and written in one piece: the
 * same calls make a JSON object ("name":value) or a CSV row (value), so
 * both formats list the same fields in the same order. printf is avoided
 * on this path: it runs once per flow.
 */
struct line {
	struct lbuf b;
	int json;
	int fields;
};

static void ln_raw(struct line *l, const char *s, size_t len)
{
	lb_raw(&l->b, s, len);
}

static void ln_cstr(struct line *l, const char *s)
{
	ln_raw(l, s, strlen(s));
}

/* Inline: names are literals, so their length is known where called. */
static inline void ln_key(struct line *l, const char *name)
{
	if (l->fields++)
		ln_raw(l, ",", 1);
	if (l->json) {
		ln_raw(l, "\"", 1);
		ln_cstr(l, name);
		ln_raw(l, "\":", 2);
	}
}

static void ln_null(struct line *l, const char *name)
{
	ln_key(l, name);
	if (l->json)
		ln_raw(l, "null", 4);
}

/* A string field; s == NULL or "" is null in JSON, empty in CSV. */
static void ln_str(struct line *l, const char *name, const char *s)
{
	if (!s || !*s) {
		ln_null(l, name);
		return;
	}
	ln_key(l, name);
	if (l->json) {
		ln_raw(l, "\"", 1);
		for (const unsigned char *p = (const unsigned char *)s; *p;
		     p++) {
			char esc[8];
			size_t run = 0;

			/* the common case: a run that needs no escape */
			while (p[run] >= 0x20 && p[run] != '"' &&
			       p[run] != '\\')
				run++;
			if (run) {
				ln_raw(l, (const char *)p, run);
				p += run - 1;
				continue;
			}
			if (*p == '"' || *p == '\\') {
				esc[0] = '\\';
				esc[1] = (char)*p;
				ln_raw(l, esc, 2);
			} else if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				ln_raw(l, esc, 6);
			} else {
				ln_raw(l, (const char *)p, 1);
			}
		}
		ln_raw(l, "\"", 1);
	} else if (strpbrk(s, ",\"\n")) {
		ln_raw(l, "\"", 1);
		for (const char *p = s; *p; p++)
			ln_raw(l, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
		ln_raw(l, "\"", 1);
	} else {
		ln_cstr(l, s);
	}
}

/*
 * A string of fintrace's own that needs no escape in JSON and no quotes
 * in CSV (a name, an endpoint, a display filter): ln_str() without the
 * look at every character. NULL or "" is null.
 */
static void ln_word(struct line *l, const char *name, const char *s)
{
	if (!s || !*s) {
		ln_null(l, name);
		return;
	}
	ln_key(l, name);
	if (l->json)
		ln_raw(l, "\"", 1);
	ln_cstr(l, s);
	if (l->json)
		ln_raw(l, "\"", 1);
}

static void ln_u64(struct line *l, const char *name, uint64_t v)
{
	ln_key(l, name);
	lb_u64(&l->b, v);
}

static void ln_bool(struct line *l, const char *name, int v)
{
	ln_key(l, name);
	ln_cstr(l, v ? "true" : "false");
}

/* Nanoseconds as seconds with nine decimals. */
static void ln_secs(struct line *l, const char *name, uint64_t ns)
{
	ln_key(l, name);
	lb_ns(&l->b, ns);
}

/* Offset of wall time t from the capture start; null when t is 0. */
static void ln_off(struct line *l, const char *name, uint64_t t,
		   uint64_t origin)
{
	if (!t) {
		ln_null(l, name);
		return;
	}
	ln_key(l, name);
	lb_ns_diff(&l->b, t, origin);
}

/* Absolute UTC time */
static void ln_iso(struct line *l, const char *name, uint64_t t)
{
	ln_key(l, name);
	if (l->json)
		ln_raw(l, "\"", 1);
	lb_iso(&l->b, t);
	if (l->json)
		ln_raw(l, "\"", 1);
}

static const char *const clock_names[RPT_T__COUNT] = {
	"fin_wait1_time", "fin_wait2_time", "last_ack_time", "closing_time",
	"time_wait_time",
};

/* What only the kernel knows of a socket, after the common fields. */
static void write_sock(struct line *l, const struct rpt_sock *s)
{
	ln_u64(l, "netns", s->netns);
	ln_u64(l, "cookie", s->cookie);
	ln_u64(l, "ino", s->ino);
	if (s->peer_cookie)
		ln_u64(l, "peer", s->peer_cookie);
	else
		ln_null(l, "peer");
	ln_str(l, "local", s->local);
	ln_str(l, "state", s->state);
	ln_str(l, "passive", s->passive);
	if (s->pid)
		ln_u64(l, "pid", s->pid);
	else
		ln_null(l, "pid");
	ln_str(l, "comm", s->comm && *s->comm ? s->comm : NULL);
	ln_str(l, "owner_from", s->owner_from);
	if (s->closer_pid)
		ln_u64(l, "closer_pid", s->closer_pid);
	else
		ln_null(l, "closer_pid");
	ln_str(l, "closer_comm",
	       s->closer_comm && *s->closer_comm ? s->closer_comm : NULL);
	ln_str(l, "container", s->container);
	ln_bool(l, "pre_existing", s->pre_existing);
	for (int c = 0; c < RPT_T__COUNT; c++)
		if (s->time_in[c])
			ln_secs(l, clock_names[c], s->time_in[c]);
		else
			ln_null(l, clock_names[c]);
	ln_bool(l, "time_wait_sampled", s->time_wait_sampled);
	ln_str(l, "reset_cause", s->reset_cause);
	ln_u64(l, "unread", s->unread);
	ln_secs(l, "age", s->age_ns);
	ln_bool(l, "end_lost", s->end_lost);
}

static void write_flow(struct rpt *r, const struct flow_record *rec)
{
	const struct td_flow *td = rec->td;
	const struct td_result *res = &rec->res;
	const struct td_dir *cd = &td->dir[td->client];
	const struct td_dir *sd = &td->dir[1 - td->client];
	uint64_t o = r->origin_ns;
	struct line l;
	char ep[64], flt[256];

	lb_init(&l.b, r->cfg.out);
	l.fields = 0;
	l.json = r->cfg.format == RPT_JSON;
	if (l.json) {
		ln_raw(&l, "{", 1);
		ln_word(&l, "type", "flow");
	} else if (!r->header_done) {
		fputs(r->cfg.sockets ? csv_sock_header : csv_header,
		      r->cfg.out);
		r->header_done = 1;
	}
	ln_u64(&l, "id", rec->id);
	ln_word(&l, "verdict", vd_name(res->verdict));
	endpoint_of(rec->key, td->client, ep, sizeof(ep));
	ln_word(&l, "client", ep);
	endpoint_of(rec->key, 1 - td->client, ep, sizeof(ep));
	ln_word(&l, "server", ep);
	ln_word(&l, "roles", td->roles_inferred ? "inferred" : "syn");
	ln_word(&l, "active_closer", role_name(td, res->active));
	ln_word(&l, "reset_by", role_name(td, res->reset_by));
	ln_word(&l, "reset_phase", td_phase_name(res->reset_phase));
	ln_str(&l, "signature", rec->sock ? rec->sock->signature :
					    td_signature_name(res->signature));
	ln_iso(&l, "start", td->first_ns);
	ln_off(&l, "start_offset", td->first_ns, o);
	ln_iso(&l, "end", td->last_ns);
	ln_off(&l, "end_offset", td->last_ns, o);
	ln_secs(&l, "duration", td->last_ns - td->first_ns);
	if (res->has_close_wait)
		ln_secs(&l, "close_wait", res->close_wait_ns);
	else
		ln_null(&l, "close_wait");
	ln_off(&l, "close_wait_start_offset", res->cw_start_ns, o);
	ln_off(&l, "close_wait_end_offset",
	       res->has_close_wait ? res->cw_end_ns : 0, o);
	ln_bool(&l, "in_close_wait_at_end", res->in_close_wait_at_end);
	if (res->has_fin_wait)
		ln_secs(&l, "fin_wait", res->fin_wait_ns);
	else
		ln_null(&l, "fin_wait");
	ln_off(&l, "client_fin_offset", cd->fin_ns, o);
	ln_off(&l, "server_fin_offset", sd->fin_ns, o);
	ln_off(&l, "client_rst_offset", cd->rst_ns, o);
	ln_off(&l, "server_rst_offset", sd->rst_ns, o);
	if (rec->sock) {
		/* the kernel sees no packets: same fields, no values */
		static const char *const wire[] = {
			"packets",	"fins",	       "rsts",
			"client_bytes", "server_bytes", "first_frame",
			"last_frame",
		};

		for (size_t i = 0; i < sizeof(wire) / sizeof(*wire); i++)
			ln_null(&l, wire[i]);
	} else {
		ln_u64(&l, "packets", (uint64_t)cd->packets + sd->packets);
		ln_u64(&l, "fins", (uint64_t)cd->fins + sd->fins);
		ln_u64(&l, "rsts", (uint64_t)cd->rsts + sd->rsts);
		ln_u64(&l, "client_bytes", cd->bytes);
		ln_u64(&l, "server_bytes", sd->bytes);
		ln_u64(&l, "first_frame", td->first_frame);
		ln_u64(&l, "last_frame", td->last_frame);
	}
	ln_word(&l, "end_reason", flow_end_name(rec->end));
	if (rec->sock) {
		ln_null(&l, "lossy");
		ln_null(&l, "filter");
	} else {
		ln_bool(&l, "lossy", flow_lossy(r, td));
		fmt_filter(flt, sizeof(flt), rec->key, td->first_frame,
			   td->last_frame);
		ln_word(&l, "filter", flt);
	}
	ln_bool(&l, "close_wait_at_least",
		(res->in_close_wait_at_end && !r->end_known) ||
			(rec->sock && rec->sock->cw_at_least));
	ln_str(&l, "tunnel",
	       rec->key->tunnel.kind
		       ? flow_tunnel_format(&rec->key->tunnel, ep, sizeof(ep))
		       : NULL);
	ln_bool(&l, "one_way", res->one_way);
	if (rec->sock)
		write_sock(&l, rec->sock);
	ln_raw(&l, l.json ? "}\n" : "\n", l.json ? 2 : 1);
	lb_flush(&l.b);
}

/* ---- groups ---- */

static struct rpt_group *group_find(struct rpt *r, const struct rpt_gkey *k);

static struct rpt_group *group_get(struct rpt *r, const struct flow_key *k,
				   int idx, enum rpt_side side)
{
	struct rpt_gkey gk;

	memset(&gk, 0, sizeof(gk));
	memcpy(gk.addr, k->addr[idx], 16);
	gk.family = k->family;
	gk.side = (uint8_t)side;
	gk.port = side == SIDE_SERVER ? k->port[idx] : 0;
	return group_find(r, &gk);
}

/* The owning process's group of a kernel socket. */
static struct rpt_group *group_of_process(struct rpt *r,
					  const struct rpt_sock *s)
{
	struct rpt_gkey gk;

	memset(&gk, 0, sizeof(gk));
	gk.side = SIDE_PROCESS;
	gk.pid = s->pid;
	if (s->pid && s->comm)
		snprintf(gk.comm, sizeof(gk.comm), "%s", s->comm);
	return group_find(r, &gk);
}

static int group_eq(const void *e, const void *k)
{
	return !memcmp(&((const struct rpt_group *)e)->key, k,
		       sizeof(struct rpt_gkey));
}

/* The group keyed gk (zero padding), created empty when new. */
static struct rpt_group *group_find(struct rpt *r, const struct rpt_gkey *k)
{
	struct rpt_gkey gk = *k;
	struct rpt_group *g;
	uint64_t h;

	h = idx_hash(&gk, sizeof(gk));
	g = idx_find(&r->gidx, h, &gk, group_eq);
	if (g)
		return g;
	if (!gk.other && r->ngroups[gk.side] >= r->cfg.max_groups) {
		/* A port scan or a churn of processes must not grow the
		 * report: the rest of the side shares one row. */
		memset(&gk, 0, sizeof(gk));
		gk.side = k->side;
		gk.other = 1;
		return group_find(r, &gk);
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->key = gk;
	g->tl_width = r->tl_width;
	g->tl_last = -1;
	if (idx_insert(&r->gidx, h, g)) {
		free(g);
		return NULL;
	}
	r->ngroups[gk.side]++;
	HASH_ADD_BYHASHVALUE(hh, r->groups, key, sizeof(g->key), (unsigned)h,
			     g);
	return g;
}

static void tl_compress(uint32_t *tl)
{
	for (int i = 0; i < RPT_TIMELINE / 2; i++)
		tl[i] = tl[2 * i] > tl[2 * i + 1] ? tl[2 * i] : tl[2 * i + 1];
	memset(tl + RPT_TIMELINE / 2, 0, sizeof(*tl) * RPT_TIMELINE / 2);
}

/* Bring the group's timeline to the report's bucket width. */
static void tl_sync(const struct rpt *r, struct rpt_group *g)
{
	while (g->tl_width < r->tl_width) {
		if (g->tl)
			tl_compress(g->tl);
		if (g->tl_last >= 0)
			g->tl_last /= 2;
		g->tl_width *= 2;
	}
}

static int tl_index(struct rpt *r, uint64_t t)
{
	uint64_t off = t > r->origin_ns ? t - r->origin_ns : 0;

	while (off / r->tl_width >= RPT_TIMELINE)
		r->tl_width *= 2;
	return (int)(off / r->tl_width);
}

/* Record that the group held `held` sockets in CLOSE_WAIT until t. */
static void tl_advance(struct rpt *r, struct rpt_group *g, uint64_t t,
		       uint64_t held)
{
	int idx = tl_index(r, t);

	tl_sync(r, g);
	if (!g->tl) {
		g->tl = calloc(RPT_TIMELINE, sizeof(*g->tl));
		if (!g->tl)
			return;
	}
	for (int i = g->tl_last < 0 ? idx : g->tl_last; i <= idx; i++)
		if (g->tl[i] < held)
			g->tl[i] = (uint32_t)held;
	g->tl_last = idx;
}

static void cw_count(struct rpt *r, struct rpt_group *g, int delta,
		     uint64_t now_ns);
static void cw_join(struct rpt *r, struct rpt_group *g, uint64_t since_ns,
		    uint64_t now_ns);

void rpt_close_wait(void *ctx, const struct flow_key *key,
		    const struct td_flow *td, int delta, uint64_t now_ns)
{
	struct rpt *r = ctx;
	int passive = 1 - td->active;
	enum rpt_side side = passive == td->client ? SIDE_CLIENT : SIDE_SERVER;
	struct rpt_group *g;

	if (td->active < 0)
		return;
	g = group_get(r, key, passive, side);
	if (g)
		cw_count(r, g, delta, now_ns);
}

void rpt_sock_close_wait(struct rpt *r, const struct flow_key *key,
			 const struct td_flow *td, const struct rpt_sock *sock,
			 int delta, uint64_t now_ns)
{
	struct rpt_group *g;

	rpt_close_wait(r, key, td, delta, now_ns);
	/* an owner found later moves the count (-1, +1): "owner unknown"
	 * would only show those passing moments */
	if (!sock->pid)
		return;
	g = group_of_process(r, sock);
	if (!g)
		return;
	if (delta > 0 && td->cw_start_ns && td->cw_start_ns < now_ns)
		cw_join(r, g, td->cw_start_ns, now_ns);
	else
		cw_count(r, g, delta, now_ns);
}

/*
 * A socket in CLOSE_WAIT since since_ns joins the group's count at now_ns,
 * its owner found only now (the kernel's walk reads /proc when no accept
 * hook named it): the timeline's buckets from since_ns on count it too,
 * so that a process's line rises when its socket entered CLOSE_WAIT, as
 * its service's does. Exact in every bucket after the one holding
 * since_ns, which may count it a moment early. The peak: one more at the
 * old peak's moment when that was since since_ns (the old peak was the
 * most, and this socket was there); else the most of a bucket that now
 * passes it, dated from that bucket's start.
 */
static void cw_join(struct rpt *r, struct rpt_group *g, uint64_t since_ns,
		    uint64_t now_ns)
{
	int exact = g->cw_peak && g->cw_peak_ns >= since_ns, i0;

	tl_advance(r, g, now_ns, g->cw_now); /* the others, up to now */
	g->cw_now++;
	if (exact) {
		/* the old peak had this socket too, and none passed it */
		g->cw_peak++;
	} else if (g->cw_now > g->cw_peak) {
		g->cw_peak = g->cw_now;
		g->cw_peak_ns = now_ns;
	}
	if (!g->tl || g->tl_last < 0)
		return;
	i0 = tl_index(r, since_ns);
	for (int i = i0; i <= g->tl_last; i++) {
		uint64_t at = i == i0 ? since_ns
				      : r->origin_ns + (uint64_t)i * r->tl_width;

		g->tl[i]++;
		if (!exact && (g->tl[i] > g->cw_peak ||
			       (g->tl[i] == g->cw_peak && at < g->cw_peak_ns))) {
			g->cw_peak = g->tl[i];
			g->cw_peak_ns = at;
		}
	}
}

/* The group's count of sockets in CLOSE_WAIT changes by delta. */
static void cw_count(struct rpt *r, struct rpt_group *g, int delta,
		     uint64_t now_ns)
{
	tl_advance(r, g, now_ns, g->cw_now);
	if (delta > 0) {
		g->cw_now++;
		if (g->cw_now > g->cw_peak) {
			g->cw_peak = g->cw_now;
			g->cw_peak_ns = now_ns;
		}
	} else if (g->cw_now) {
		g->cw_now--;
	}
	tl_advance(r, g, now_ns, g->cw_now);
}

/*
 * Close-wait histogram of a group past RPT_EXACT_VALUES: bucket 0 below
 * 1 us, then 8 buckets per doubling (each at most 1/8 of its lower
 * bound wide) up to 2^48 ns (78 hours), and one above.
 */
#define CW_LO_BIT 10
#define CW_HI_BIT 48
#define CW_SUB 8
#define RPT_CW_BUCKETS (2 + (CW_HI_BIT - CW_LO_BIT) * CW_SUB)

static unsigned cw_bucket(uint64_t v)
{
	unsigned b;

	if (v < (1ull << CW_LO_BIT))
		return 0;
	b = 63 - (unsigned)__builtin_clzll(v);
	if (b >= CW_HI_BIT)
		return RPT_CW_BUCKETS - 1;
	return 1 + (b - CW_LO_BIT) * CW_SUB +
	       (unsigned)((v >> (b - 3)) & (CW_SUB - 1));
}

/* The value bucket i stands for: its middle. */
static uint64_t cw_bucket_mid(unsigned i)
{
	unsigned b, s;
	uint64_t lo, hi;

	if (i == 0)
		return (1ull << CW_LO_BIT) / 2;
	if (i >= RPT_CW_BUCKETS - 1)
		return 1ull << CW_HI_BIT;
	b = CW_LO_BIT + (i - 1) / CW_SUB;
	s = (i - 1) % CW_SUB;
	lo = (uint64_t)(CW_SUB + s) << (b - 3);
	hi = (uint64_t)(CW_SUB + s + 1) << (b - 3);
	return lo + (hi - lo) / 2;
}

/*
 * Move the group's exact values into its histogram. 0, or -ENOMEM (the
 * group is unchanged).
 */
static int to_hist(struct rpt_group *g)
{
	g->hist = calloc(RPT_CW_BUCKETS, sizeof(*g->hist));
	if (!g->hist)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nvals; i++)
		g->hist[cw_bucket(g->vals[i])]++;
	free(g->vals);
	g->vals = NULL;
	g->nvals = 0;
	g->cap_vals = 0;
	return 0;
}

/*
 * n close-waits of v ns in group g. Past the exact values, a fixed
 * histogram: memory stays the same however long the group lives.
 * Estimated ones (a bucket's middle) go to the histogram at once, so
 * that its percentiles say "sampled".
 */
static void sample_add_n(struct rpt_group *g, uint64_t v, uint64_t n,
			 int estimated)
{
	if (!n)
		return;
	if (!g->cw_n || v < g->cw_min)
		g->cw_min = v;
	if (v > g->cw_max)
		g->cw_max = v;
	if (!g->hist && (estimated || g->nvals + n > RPT_EXACT_VALUES) &&
	    to_hist(g))
		return; /* out of memory: not counted */
	g->cw_n += n;
	if (g->hist) {
		g->hist[cw_bucket(v)] += n;
		return;
	}
	if (g->nvals + n > g->cap_vals) {
		/* Grow with the group: most services see a few flows. */
		uint32_t cap = g->cap_vals ? 2 * g->cap_vals : 16;
		uint64_t *nv;

		while (cap < g->nvals + n)
			cap *= 2;
		nv = realloc(g->vals, cap * sizeof(*nv));
		if (!nv) {
			g->cw_n -= n;
			return;
		}
		g->vals = nv;
		g->cap_vals = cap;
	}
	while (n--)
		g->vals[g->nvals++] = v;
}

static void sample_add(struct rpt_group *g, uint64_t v)
{
	sample_add_n(g, v, 1, 0);
}

static void brief_of(const struct flow_record *rec, struct rpt_brief *b)
{
	memset(b, 0, sizeof(*b));
	b->id = rec->id;
	b->close_wait_ns = rec->res.close_wait_ns;
	b->first_frame = rec->td->first_frame;
	b->last_frame = rec->td->last_frame;
	b->key = *rec->key;
	b->client = rec->td->client;
	b->verdict = (uint8_t)rec->res.verdict;
	b->at_end = rec->res.in_close_wait_at_end;
	b->roles_inferred = rec->td->roles_inferred;
	if (rec->sock) {
		b->sock = 1;
		b->remote = rec->sock->passive &&
			    !strcmp(rec->sock->passive, "remote");
		b->fin_wait_ns = rec->res.has_fin_wait ? rec->res.fin_wait_ns
						       : 0;
		b->pid = rec->sock->pid;
		if (rec->sock->comm)
			snprintf(b->comm, sizeof(b->comm), "%s",
				 rec->sock->comm);
		if (rec->sock->container)
			snprintf(b->container, sizeof(b->container), "%s",
				 rec->sock->container);
	}
}

/* "pid 42 (nginx) container 3f2a9c0d1e2b", "pid 42 (nginx)" or "owner
 * unknown": the owner of a kernel socket's brief. */
static void fmt_owner(char *buf, size_t n, const struct rpt_brief *b)
{
	if (!b->pid)
		snprintf(buf, n, "owner unknown");
	else if (b->container[0])
		snprintf(buf, n, "pid %u (%s) container %s", b->pid, b->comm,
			 b->container);
	else
		snprintf(buf, n, "pid %u (%s)", b->pid, b->comm);
}

static int brief_worse(const struct rpt_brief *a, const struct rpt_brief *b)
{
	int sa = severity(a->verdict), sb = severity(b->verdict);

	if (sa != sb)
		return sa > sb;
	if (a->close_wait_ns != b->close_wait_ns)
		return a->close_wait_ns > b->close_wait_ns;
	return a->id < b->id;
}

/* Keep the n worst flows in a sorted array of capacity cap. */
static void worst_add(struct rpt_brief *arr, unsigned *n, unsigned cap,
		      const struct rpt_brief *b)
{
	unsigned i;

	if (!cap || !severity(b->verdict))
		return;
	if (*n == cap && !brief_worse(b, &arr[cap - 1]))
		return;
	i = *n < cap ? (*n)++ : cap - 1;
	while (i > 0 && brief_worse(b, &arr[i - 1])) {
		arr[i] = arr[i - 1];
		i--;
	}
	arr[i] = *b;
}

/* Count a finished flow's verdict and close-wait in group g. */
static void group_count(struct rpt_group *g,
			const struct td_result *res)
{
	g->verdicts[res->verdict]++;
	if (res->has_close_wait)
		sample_add(g, res->close_wait_ns);
	if (res->verdict == VD_LATE_CLOSE && res->close_wait_ns > g->late_max)
		g->late_max = res->close_wait_ns;
	if (res->in_close_wait_at_end) {
		g->at_end++;
		if (res->close_wait_ns > g->oldest_at_end)
			g->oldest_at_end = res->close_wait_ns;
	}
}

/* A kernel socket also counts under its owning process. */
static void process_add(struct rpt *r, const struct flow_record *rec,
			const struct rpt_brief *b)
{
	const struct td_result *res = &rec->res;
	struct rpt_group *p = group_of_process(r, rec->sock);

	if (!p)
		return;
	p->flows++;
	group_count(p, res);
	worst_add(p->worst, &p->nworst, RPT_WORST, b);
}

void rpt_flow_done(void *ctx, const struct flow_record *rec)
{
	struct rpt *r = ctx;
	const struct td_flow *td = rec->td;
	const struct td_result *res = &rec->res;
	int server = 1 - td->client;
	int passive = res->active >= 0 ? 1 - res->active : -1;
	struct rpt_group *svc, *g;
	struct rpt_brief b;

	r->flows++;
	r->verdicts[res->verdict]++;
	if (res->has_close_wait)
		hist_add(r, res);
	if (flow_lossy(r, td))
		r->lossy_flows++;
	r->one_way_flows += res->one_way;
	if (r->cfg.format != RPT_TEXT &&
	    (res->verdict != VD_OPEN || r->cfg.list_open || res->one_way))
		write_flow(r, rec);

	svc = group_get(r, rec->key, server, SIDE_SERVER);
	if (!svc)
		return;
	svc->flows++;
	if (rec->sock && rec->sock->local && !strcmp(rec->sock->local, "server"))
		svc->own++;
	g = svc;
	if (passive == td->client && res->has_close_wait) {
		/* The server closed first: the client side lingers. */
		g = group_get(r, rec->key, td->client, SIDE_CLIENT);
		if (!g)
			return;
		g->flows++;
		if (!g->peer.family) {
			memcpy(g->peer.addr, rec->key->addr[server], 16);
			g->peer.port = rec->key->port[server];
			g->peer.family = rec->key->family;
		} else if (memcmp(g->peer.addr, rec->key->addr[server], 16) ||
			   g->peer.port != rec->key->port[server]) {
			g->peer_many = 1;
		}
		if (severity(res->verdict))
			svc->client_leaks++;
		else
			svc->verdicts[res->verdict]++;
	}
	group_count(g, res);
	brief_of(rec, &b);
	if (b.remote && severity(res->verdict)) {
		g->remote_leaks++;
		if (b.fin_wait_ns > g->remote_wait_max)
			g->remote_wait_max = b.fin_wait_ns;
	}
	b.lossy = rec->sock ? 0 : (uint8_t)flow_lossy(r, td);
	worst_add(g->worst, &g->nworst, RPT_WORST, &b);
	worst_add(r->worst, &r->nworst, r->cfg.top, &b);
	/* a process whose peer on another host never closed did close():
	 * the leak is not its own (blame by side); an orphan whose clean
	 * count its owner's row has is not counted twice */
	if (rec->sock && !(b.remote && severity(res->verdict)) &&
	    !rec->sock->counted)
		process_add(r, rec, &b);
}

void rpt_sock_clean(struct rpt *r, const struct rpt_clean *c)
{
	struct rpt_group *svc, *proc;
	struct rpt_sock sock = {.pid = c->pid, .comm = c->comm};
	struct rpt_gkey gk;

	if (!c->count)
		return;
	memset(&gk, 0, sizeof(gk));
	memcpy(gk.addr, c->addr, 16);
	gk.family = c->family;
	gk.side = SIDE_SERVER;
	gk.port = c->port;
	svc = group_find(r, &gk);
	if (c->moved) {
		uint64_t n = c->count;

		n = n < r->verdicts[VD_CLEAN] ? n : r->verdicts[VD_CLEAN];
		r->flows -= n;
		r->verdicts[VD_CLEAN] -= n;
		if (svc) {
			n = n < svc->verdicts[VD_CLEAN] ? n
							: svc->verdicts[VD_CLEAN];
			svc->flows -= n;
			svc->verdicts[VD_CLEAN] -= n;
			if (c->server)
				svc->own -= n < svc->own ? n : svc->own;
		}
		return;
	}
	r->flows += c->count;
	r->verdicts[VD_CLEAN] += c->count;
	proc = group_of_process(r, &sock);
	if (svc) {
		svc->flows += c->count;
		svc->verdicts[VD_CLEAN] += c->count;
		if (c->server)
			svc->own += c->count;
	}
	if (proc) {
		proc->flows += c->count;
		proc->verdicts[VD_CLEAN] += c->count;
	}
	for (size_t i = 0; i < c->ncw; i++) {
		if (!c->cw_count[i])
			continue;
		r->hist[hist_bin(c->cw_ns[i])][RPT_CW_IN_TIME] +=
			c->cw_count[i];
		if (svc && c->server)
			sample_add_n(svc, c->cw_ns[i], c->cw_count[i], 1);
		if (proc)
			sample_add_n(proc, c->cw_ns[i], c->cw_count[i], 1);
	}
}

/* ---- summaries ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Nearest-rank percentile of the group's close-waits: exact from the
 * (sorted) values, else the middle of the histogram's bucket, kept
 * within the smallest and largest value seen.
 */
static uint64_t pct(const struct rpt_group *g, unsigned p)
{
	uint64_t rank, seen = 0, v;

	if (!g->hist)
		return st_percentile(g->vals, g->nvals, p);
	rank = (g->cw_n * p + 99) / 100;
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < RPT_CW_BUCKETS; i++) {
		seen += g->hist[i];
		if (seen < rank)
			continue;
		v = cw_bucket_mid(i);
		if (v < g->cw_min)
			v = g->cw_min;
		return v > g->cw_max ? g->cw_max : v;
	}
	return g->cw_max;
}

/* Below this much capture, a growth rate would be noise: none is given. */
#define RPT_GROWTH_MIN_NS (300 * NS)

/* Least-squares slope of the timeline, in sockets per hour. */
static double growth_per_hour(const struct rpt *r, const struct rpt_group *g,
			      int nb)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, slope;

	if (!g->tl || nb < 2)
		return 0;
	for (int i = 0; i < nb; i++) {
		sx += i;
		sy += g->tl[i];
		sxx += (double)i * i;
		sxy += (double)i * g->tl[i];
	}
	slope = (nb * sxy - sx * sy) / (nb * sxx - sx * sx);
	return slope * 3600.0 * (double)NS / (double)r->tl_width;
}

static int group_worse(const struct rpt_group *a, const struct rpt_group *b)
{
	if (a->verdicts[VD_NEVER_CLOSED] != b->verdicts[VD_NEVER_CLOSED])
		return a->verdicts[VD_NEVER_CLOSED] >
		       b->verdicts[VD_NEVER_CLOSED];
	if (a->verdicts[VD_LATE_CLOSE] != b->verdicts[VD_LATE_CLOSE])
		return a->verdicts[VD_LATE_CLOSE] > b->verdicts[VD_LATE_CLOSE];
	if (a->cw_max != b->cw_max)
		return a->cw_max > b->cw_max;
	return a->flows > b->flows;
}

static int group_cmp(const void *pa, const void *pb)
{
	const struct rpt_group *a = *(struct rpt_group *const *)pa;
	const struct rpt_group *b = *(struct rpt_group *const *)pb;

	if (group_worse(a, b))
		return -1;
	if (group_worse(b, a))
		return 1;
	return 0;
}

/* All groups, worst first, with samples sorted and timelines synced. */
static struct rpt_group **sorted_groups(struct rpt *r, size_t *n,
					uint64_t end_ns)
{
	size_t count = HASH_COUNT(r->groups), i = 0;
	struct rpt_group **arr, *g;

	*n = 0;
	arr = calloc(count ? count : 1, sizeof(*arr));
	if (!arr)
		return NULL;
	if (end_ns)
		tl_index(r, end_ns);
	for (g = r->groups; g; g = g->hh.next) {
		if (g->vals)
			qsort(g->vals, g->nvals, sizeof(*g->vals), cmp_u64);
		if (g->tl && end_ns)
			tl_advance(r, g, end_ns, g->cw_now);
		tl_sync(r, g);
		arr[i++] = g;
	}
	qsort(arr, count, sizeof(*arr), group_cmp);
	*n = count;
	return arr;
}

static void headline_of(const struct rpt *r, const struct rpt_group *g,
			char *buf, size_t len);

/*
 * The worst service or client host in one sentence; in kernel mode, the
 * worst process follows.
 */
static void headline(const struct rpt *r, struct rpt_group **gs, size_t n,
		     char *buf, size_t len)
{
	const struct rpt_group *g = NULL, *proc = NULL;
	size_t k;

	for (size_t i = 0; i < n; i++) {
		if (gs[i]->key.side != SIDE_PROCESS)
			g = g ? g : gs[i];
		else
			proc = proc ? proc : gs[i];
	}
	headline_of(r, g, buf, len);
	k = strlen(buf);
	if (proc && (proc->verdicts[VD_NEVER_CLOSED] ||
		     proc->verdicts[VD_LATE_CLOSE] || proc->at_end)) {
		char who[64];

		snprintf(buf + k, len - k,
			 "; %s%s: %" PRIu64 " never closed, %" PRIu64
			 " closed late, %" PRIu64 " in CLOSE_WAIT at the end",
			 proc->key.pid ? "owner " : "",
			 fmt_gkey(who, sizeof(who), &proc->key),
			 proc->verdicts[VD_NEVER_CLOSED],
			 proc->verdicts[VD_LATE_CLOSE], proc->at_end);
	}
}

static void headline_of(const struct rpt *r, const struct rpt_group *g,
			char *buf, size_t len)
{
	const char *at_end =
		r->cfg.sockets ? "when tracing stopped" : "at end of capture";
	/* a close-wait running to an end that is only the last packet */
	const char *al = r->end_known ? "" : "at least ";
	char who[64], peer[64], d1[32], d2[32], lg[32];
	uint64_t nc, late, total;

	rpt_fmt_duration(lg, sizeof(lg), r->cfg.linger_ns);
	if (rpt_no_flow_matched(r)) {
		snprintf(buf, len, "no flow matched the filter \"%s\"",
			 r->cfg.filter);
		return;
	}
	if (!g || (!g->verdicts[VD_NEVER_CLOSED] &&
		   !g->verdicts[VD_LATE_CLOSE])) {
		snprintf(buf, len,
			 "no leak: every passive side closed within %s "
			 "(%" PRIu64 " %s, %" PRIu64 " clean, %" PRIu64
			 " reset, %" PRIu64 " still open)",
			 lg, r->flows, r->cfg.sockets ? "sockets" : "flows",
			 r->verdicts[VD_CLEAN],
			 r->verdicts[VD_RESET], r->verdicts[VD_OPEN]);
		return;
	}
	nc = g->verdicts[VD_NEVER_CLOSED];
	late = g->verdicts[VD_LATE_CLOSE];
	total = g->flows;
	/* kernel: a connection is one socket of the server's (the
	 * client's is here too when it runs on this host) */
	if (r->cfg.sockets && g->key.side == SIDE_SERVER && g->own >= nc + late)
		total = g->own;
	fmt_gkey(who, sizeof(who), &g->key);
	if (g->key.side == SIDE_CLIENT) {
		char svc[160];

		rpt_fmt_endpoint(peer, sizeof(peer), g->peer.addr,
				 g->peer.family, g->peer.port);
		snprintf(svc, sizeof(svc), "%s%s",
			 g->peer_many ? "several services, e.g. " : "", peer);
		if (nc)
			snprintf(buf, len,
				 "client %s never closed %" PRIu64 " of %" PRIu64
				 " connections after the server (%s) closed; "
				 "oldest in CLOSE_WAIT %s%s %s",
				 who, nc, total, svc, al,
				 rpt_fmt_duration(d1, sizeof(d1),
						  g->oldest_at_end),
				 at_end);
		else
			snprintf(buf, len,
				 "client %s closed %" PRIu64 " of %" PRIu64
				 " connections late after the server (%s) "
				 "closed: up to %s in CLOSE_WAIT (threshold %s)",
				 who, late, total, svc,
				 rpt_fmt_duration(d1, sizeof(d1), g->late_max),
				 lg);
		return;
	}
	if (g->remote_leaks && g->remote_leaks == nc + late && !g->cw_n) {
		/* kernel: every leak is a peer's on another host; what this
		 * host knows is how long its own sockets waited for it */
		snprintf(buf, len,
			 "server %s, on another host, %s %" PRIu64 " of %" PRIu64
			 " connections after this host's clients closed: they "
			 "%s up to %s in FIN_WAIT2 for its FIN (threshold %s)",
			 who, nc ? "never closed" : "closed late", nc ? nc : late,
			 total, nc ? "have waited" : "waited",
			 rpt_fmt_duration(d1, sizeof(d1), g->remote_wait_max),
			 lg);
		return;
	}
	if (nc) {
		int k = snprintf(buf, len,
				 "server %s never closed %" PRIu64 " of %" PRIu64
				 " connections after the client closed; oldest "
				 "in CLOSE_WAIT %s%s %s",
				 who, nc, total, al,
				 rpt_fmt_duration(d1, sizeof(d1),
						  g->oldest_at_end),
				 at_end);
		if (late && k > 0 && (size_t)k < len)
			snprintf(buf + k, len - (size_t)k,
				 "; %" PRIu64 " more closed late (up to %s)",
				 late,
				 rpt_fmt_duration(d2, sizeof(d2), g->late_max));
	} else {
		snprintf(buf, len,
			 "server %s closed %" PRIu64 " of %" PRIu64
			 " connections late: up to %s in CLOSE_WAIT after "
			 "the client closed (threshold %s)",
			 who, late, total,
			 rpt_fmt_duration(d1, sizeof(d1), g->late_max), lg);
	}
}

static int timeline_buckets(const struct rpt *r, uint64_t end_ns)
{
	uint64_t off = end_ns > r->origin_ns ? end_ns - r->origin_ns : 0;
	int nb = (int)(off / r->tl_width) + 1;

	return nb > RPT_TIMELINE ? RPT_TIMELINE : nb;
}

static void sparkline(FILE *f, const struct rpt_group *g, int nb)
{
	static const char *const bars[] = {"▁", "▂", "▃", "▄",
					   "▅", "▆", "▇", "█"};
	uint32_t max = 0;

	for (int i = 0; i < nb; i++)
		if (g->tl[i] > max)
			max = g->tl[i];
	for (int i = 0; i < nb; i++)
		fputs(max ? bars[(uint64_t)g->tl[i] * 7 / max] : bars[0], f);
}

/* Nothing to read in the row: see rpt_group_view.quiet. */
static int group_quiet(const struct rpt_group *g)
{
	return !g->verdicts[VD_NEVER_CLOSED] && !g->verdicts[VD_LATE_CLOSE] &&
	       !g->client_leaks && !g->at_end && !g->cw_peak && !g->cw_max;
}

/*
 * Whether the bounded writers list g; *seen counts the rows of g's side
 * that qualified so far (call in worst-first order).
 */
static int group_listed(const struct rpt *r, const struct rpt_group *g,
			uint64_t *seen)
{
	/* processes are bounded like services */
	unsigned top = g->key.side == SIDE_CLIENT ? r->cfg.top_clients
						  : r->cfg.top_services;

	if (!g->flows || group_quiet(g))
		return 0;
	++*seen;
	return !top || *seen <= top;
}

static void group_cut(const struct rpt *r, struct rpt_group **gs, size_t n,
		      enum rpt_side side, struct rpt_cut *c)
{
	uint64_t seen = 0;

	memset(c, 0, sizeof(*c));
	c->top = side == SIDE_CLIENT ? r->cfg.top_clients : r->cfg.top_services;
	for (size_t i = 0; i < n; i++) {
		const struct rpt_group *g = gs[i];

		if (g->key.side != side || !g->flows)
			continue;
		c->rows++;
		if (group_listed(r, g, &seen))
			c->listed++;
		else if (group_quiet(g))
			c->quiet++;
		else
			c->beyond++;
	}
}

/* The worst flows list: every flow with a listed verdict qualifies. */
static void worst_cut(const struct rpt *r, struct rpt_cut *c)
{
	memset(c, 0, sizeof(*c));
	for (int v = 0; v < VD__COUNT; v++)
		if (severity((unsigned)v))
			c->rows += r->verdicts[v];
	c->listed = r->nworst;
	c->beyond = c->rows - c->listed;
	c->top = r->cfg.top;
}

char *rpt_fmt_more(char *buf, size_t n, const struct rpt_cut *c,
		   enum rpt_more what, const uint64_t *verdicts)
{
	static const struct {
		const char *one, *many, *option;
	} noun[] = {
		[RPT_MORE_SERVICES] = {"service", "services", "--top-services"},
		[RPT_MORE_CLIENTS] = {"client host", "client hosts",
				      "--top-clients"},
		[RPT_MORE_FLOWS] = {"flow", "flows", "--top"},
		[RPT_MORE_PROCESSES] = {"process", "processes",
					"--top-services"},
	};
	uint64_t left = c->beyond + c->quiet;
	int both = c->beyond && c->quiet;
	char kinds[128] = "", beyond[96] = "", quiet[96] = "", num[32] = "";

	if (!left)
		return NULL;
	/* flows: which verdicts, e.g. "late-close or never-closed " */
	for (int v = 0; what == RPT_MORE_FLOWS && v < VD__COUNT; v++) {
		size_t k = strlen(kinds);

		if (severity((unsigned)v) && verdicts[v])
			snprintf(kinds + k, sizeof(kinds) - k, "%s%s ",
				 k ? "or " : "", vd_name(v));
	}
	if (both)
		snprintf(num, sizeof(num), "%" PRIu64 " ", c->beyond);
	if (c->beyond)
		snprintf(beyond, sizeof(beyond), "%spast %s %u", num,
			 noun[what].option, c->top);
	if (both)
		snprintf(num, sizeof(num), ", %" PRIu64 " with ", c->quiet);
	if (c->quiet)
		snprintf(quiet, sizeof(quiet),
			 "%sno leak and nothing in CLOSE_WAIT", num);
	snprintf(buf, n,
		 "%" PRIu64 " %s%s%s not listed: %s%s (--format json lists "
		 "all)",
		 left, c->listed ? "more " : "", kinds,
		 left == 1 ? noun[what].one : noun[what].many, beyond, quiet);
	return buf;
}

static void text_more(const struct rpt *r, const struct rpt_cut *c,
		      enum rpt_more what)
{
	char buf[512];

	if (rpt_fmt_more(buf, sizeof(buf), c, what, r->verdicts))
		fprintf(r->cfg.out, "  ... %s\n", buf);
}

static void text_groups(struct rpt *r, struct rpt_group **gs, size_t n,
			enum rpt_side side, int nb)
{
	FILE *f = r->cfg.out;
	int shown[VD__COUNT] = {0};
	char name[64], a[16], b[16], c[16], d[16];
	struct rpt_cut cut;
	uint64_t seen = 0;

	group_cut(r, gs, n, side, &cut);
	if (!cut.rows)
		return;
	for (size_t i = 0; i < n; i++) {
		if (gs[i]->key.side != side || !group_listed(r, gs[i], &seen))
			continue;
		for (int v = 0; v < VD__COUNT; v++)
			if (gs[i]->verdicts[v])
				shown[v] = 1;
	}
	fprintf(f, "\n%s\n",
		side == SIDE_PROCESS ?
			"PROCESSES (owner of the socket; close-wait of its "
			"sockets)" :
		side == SIDE_SERVER ?
			"SERVICES (server ip:port; close-wait of the server)" :
			"CLIENT HOSTS (the server closed first; close-wait of "
			"the client)");
	if (cut.listed) {
		fprintf(f, "%-28s %6s",
			side == SIDE_PROCESS ? "process" :
			side == SIDE_SERVER  ? "service" :
					       "client",
			r->cfg.sockets ? "socks" : "flows");
		for (int v = 0; v < VD__COUNT; v++)
			if (shown[v])
				fprintf(f, " %*s", (int)strlen(vd_name(v)),
					vd_name(v));
		fprintf(f, "  %8s %8s %8s %8s %6s %5s %9s\n", "cw p50", "p90",
			"p99", "max", "at-end", "peak", "growth/h");
	}
	seen = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rpt_group *g = gs[i];

		if (g->key.side != side || !group_listed(r, g, &seen))
			continue;
		fprintf(f, "%-28s %6" PRIu64, fmt_gkey(name, sizeof(name),
						       &g->key),
			g->flows);
		for (int v = 0; v < VD__COUNT; v++)
			if (shown[v])
				fprintf(f, " %*" PRIu64,
					(int)strlen(vd_name(v)),
					g->verdicts[v]);
		if (g->cw_n)
			fprintf(f, "  %8s %8s %8s %8s",
				rpt_fmt_duration(a, sizeof(a), pct(g, 50)),
				rpt_fmt_duration(b, sizeof(b), pct(g, 90)),
				rpt_fmt_duration(c, sizeof(c), pct(g, 99)),
				rpt_fmt_duration(d, sizeof(d), g->cw_max));
		else
			fprintf(f, "  %8s %8s %8s %8s", "-", "-", "-", "-");
		fprintf(f, " %6" PRIu64 " %5" PRIu64, g->at_end, g->cw_peak);
		if (r->span_ns >= RPT_GROWTH_MIN_NS)
			fprintf(f, " %+9.0f\n", growth_per_hour(r, g, nb));
		else
			fprintf(f, " %9s\n", "-");
		if (side == SIDE_SERVER && g->client_leaks)
			fprintf(f,
				"    + %" PRIu64 " connection%s that clients "
				"left in CLOSE_WAIT (see CLIENT HOSTS)\n",
				g->client_leaks,
				g->client_leaks == 1 ? "" : "s");
		if (g->tl && g->cw_peak) {
			fprintf(f, "    CLOSE_WAIT over the %s: ",
				r->cfg.sockets ? "trace" : "capture");
			sparkline(f, g, nb);
			fprintf(f, "  (peak %" PRIu64 ")\n", g->cw_peak);
		}
	}
	text_more(r, &cut,
		  side == SIDE_PROCESS ? RPT_MORE_PROCESSES :
		  side == SIDE_SERVER  ? RPT_MORE_SERVICES :
					 RPT_MORE_CLIENTS);
}

static void text_worst(struct rpt *r)
{
	FILE *f = r->cfg.out;
	char cli[64], srv[64], cw[32], flt[256], tun[48];
	struct rpt_cut cut;

	worst_cut(r, &cut);
	if (!cut.rows)
		return;
	fprintf(f, r->cfg.sockets ? "\nWORST SOCKETS\n" :
				    "\nWORST FLOWS (frame numbers as in "
				    "Wireshark)\n");
	for (unsigned i = 0; i < r->nworst; i++) {
		const struct rpt_brief *b = &r->worst[i];

		endpoint_of(&b->key, b->client, cli, sizeof(cli));
		endpoint_of(&b->key, 1 - b->client, srv, sizeof(srv));
		if (b->sock) {
			char own[64], wait[96];

			fmt_owner(own, sizeof(own), b);
			/* a server on another host: this socket's own wait
			 * for its FIN, the close-wait being over there */
			rpt_fmt_duration(cw, sizeof(cw),
					 b->remote ? b->fin_wait_ns
						   : b->close_wait_ns);
			if (b->remote)
				snprintf(wait, sizeof(wait),
					 "FIN_WAIT2 %s (the server is on "
					 "another host)",
					 cw);
			else
				snprintf(wait, sizeof(wait),
					 "close-wait %s%s", cw,
					 b->at_end ? " (still in CLOSE_WAIT "
						     "at end)"
						   : "");
			fprintf(f, "  #%-5" PRIu64 " %-12s %s -> %s  %s  %s\n",
				b->id, vd_name(b->verdict), cli, srv, wait,
				own);
			continue;
		}
		fprintf(f,
			"  #%-5" PRIu64 " %-12s %s -> %s  close-wait %s%s%s  "
			"frames %" PRIu64 "-%" PRIu64 "%s%s\n",
			b->id, vd_name(b->verdict), cli, srv,
			b->at_end && !r->end_known ? "at least " : "",
			rpt_fmt_duration(cw, sizeof(cw), b->close_wait_ns),
			b->at_end ? " (still in CLOSE_WAIT at end)" : "",
			b->first_frame, b->last_frame,
			b->roles_inferred ? "  roles inferred" : "",
			b->lossy ? "  (packets were dropped during this "
				   "flow: the verdict may be wrong)" :
				   "");
		fmt_filter(flt, sizeof(flt), &b->key, b->first_frame,
			   b->last_frame);
		if (b->key.tunnel.kind)
			fprintf(f, "         tunnel %s\n",
				flow_tunnel_format(&b->key.tunnel, tun,
						   sizeof(tun)));
		fprintf(f, "         %s\n", flt);
	}
	text_more(r, &cut, RPT_MORE_FLOWS);
}

static void verdict_list(FILE *f, unsigned mask, int json)
{
	char buf[256];

	fputs(vd_list(buf, sizeof(buf), mask, json), f);
}

static void text_evidence(const struct rpt *r, FILE *f)
{
	const struct rpt_evidence *e = &r->ev;

	fputs("evidence", f);
	for (size_t i = 0; i < e->nfiles; i++)
		fprintf(f, "%s %s", i ? "," : "", e->files[i]);
	fprintf(f, ": %" PRIu64 " flows (", e->flows);
	verdict_list(f, e->verdicts, 0);
	fprintf(f, "), %" PRIu64 " packets%s\n", e->packets,
		e->nfiles > 1 ? " (one pcap per link type)" : "");
	if (e->cut_flows) {
		uint64_t b = e->buffer_bytes;
		const char *unit = b >= (1 << 30) && !(b % (1 << 30)) ? "G" :
				   b >= (1 << 20) && !(b % (1 << 20)) ? "M" :
				   b >= (1 << 10) && !(b % (1 << 10)) ? "k" :
									"";
		uint64_t div = *unit == 'G' ? 1 << 30 :
			       *unit == 'M' ? 1 << 20 :
			       *unit == 'k' ? 1 << 10 :
					      1;

		fprintf(f, "evidence cut: %" PRIu64 " flagged flows (%" PRIu64
			   " packets) left out: the %" PRIu64 "%s buffer "
			   "was full (--evidence-buffer; reading from a file "
			   "keeps every flow)\n",
			e->cut_flows, e->cut_packets, b / div, unit);
	}
	if (e->error)
		fprintf(f, "evidence not complete: %s\n", e->error);
}

static void text_report(struct rpt *r, const struct rpt_facts *x,
			struct rpt_group **gs, size_t n, const char *head,
			int nb)
{
	FILE *f = r->cfg.out;
	char t0[48], dur[32], lg[32];
	const struct flow_stats *fs = x->flows;

	fprintf(f, "fintrace %s:", r->cfg.mode ? r->cfg.mode : "read");
	for (size_t i = 0; i < x->ninputs; i++)
		fprintf(f, " %s", x->inputs[i]);
	fputc('\n', f);
	if (r->cfg.sockets)
		fprintf(f, "traced   %s, %s\n",
			rpt_fmt_time(t0, sizeof(t0), x->first_ns,
				     r->cfg.local_time),
			rpt_fmt_duration(dur, sizeof(dur),
					 x->last_ns - x->first_ns));
	else if (x->first_ns)
		fprintf(f,
			"capture  %s, %s, %" PRIu64 " frames, %" PRIu64
			" TCP segments\n",
			rpt_fmt_time(t0, sizeof(t0), x->first_ns,
				     r->cfg.local_time),
			rpt_fmt_duration(dur, sizeof(dur),
					 x->last_ns - x->first_ns),
			x->packets, x->tcp_segments);
	else
		fprintf(f, "capture  no packets\n");
	fprintf(f, "linger   %s (a passive side in CLOSE_WAIT longer is "
		   "a late close)\n",
		rpt_fmt_duration(lg, sizeof(lg), r->cfg.linger_ns));
	fprintf(f, "\n%s\n", head);
	text_groups(r, gs, n, SIDE_PROCESS, nb);
	text_groups(r, gs, n, SIDE_SERVER, nb);
	text_groups(r, gs, n, SIDE_CLIENT, nb);
	text_worst(r);
	fprintf(f, r->cfg.sockets ? "\nsockets  %" PRIu64 : "\nflows    %" PRIu64,
		r->flows);
	for (int v = 0; v < VD__COUNT; v++)
		if (r->verdicts[v])
			fprintf(f, ", %" PRIu64 " %s", r->verdicts[v],
				vd_name(v));
	if (fs)
		fprintf(f, "; peak tracked %" PRIu64 ", evicted %" PRIu64
			   ", 4-tuples reused %" PRIu64,
			fs->peak_tracked, fs->ended[FLOW_END_EVICTED],
			fs->ended[FLOW_END_REUSED]);
	int any = 0;
	if (r->cfg.sockets)
		goto skipped_done;
	fprintf(f, "\nskipped ");
	for (size_t i = 0; i < x->nskipped; i++)
		if (x->skipped[i].value) {
			fprintf(f, "%s %s %" PRIu64, any ? "," : "",
				x->skipped[i].name, x->skipped[i].value);
			any = 1;
		}
	if (!any)
		fprintf(f, " none");
	if (x->snapped)
		fprintf(f, "; %" PRIu64 " segments cut by the snap length "
			   "(headers decoded)",
			x->snapped);
	if (x->drops)
		fprintf(f, "; %" PRIu64 " packets dropped by the capture: a "
			   "missing FIN or RST can change a verdict (%" PRIu64
			   " flows marked lossy)",
			x->drops, r->lossy_flows);
	if (x->queue_drops)
		fprintf(f, "; %" PRIu64 " of them by fintrace's capture "
			   "queue (queue drops: the analysis fell behind)",
			x->queue_drops);
skipped_done:
	fputc('\n', f);
	if (r->one_way_flows)
		fprintf(f,
			"one-way  %" PRIu64 " flow%s seen one way only: "
			"asymmetric routing or a capture filter; no verdict "
			"about the unseen side\n",
			r->one_way_flows, r->one_way_flows == 1 ? "" : "s");
	if (r->has_evidence)
		text_evidence(r, f);
	if (x->error)
		fprintf(f, "input    stopped early: %s\n", x->error);
	if (x->lost_records)
		fprintf(f,
			"lost     %" PRIu64 " kernel records (the lost_ "
			"counters below say why): a socket whose end was lost "
			"counts as open (ended_unseen) and one never seen is "
			"missing; a lost clean end is still counted, unless "
			"the kernel skipped its hook run\n",
			x->lost_records);
	if (x->nextra) {
		fputs("kernel  ", f);
		for (size_t i = 0; i < x->nextra; i++)
			fprintf(f, "%s %s %" PRIu64, i ? "," : "",
				x->extra[i].name, x->extra[i].value);
		fputc('\n', f);
	}
}

/* The count of each verdict, as a JSON object. */
static void put_verdicts(struct lbuf *b, const uint64_t *v)
{
	lb_ch(b, '{');
	for (int i = 0; i < VD__COUNT; i++) {
		lb_str(b, i ? ",\"" : "\"");
		lb_str(b, vd_name(i));
		lb_str(b, "\":");
		lb_u64(b, v[i]);
	}
	lb_ch(b, '}');
}

static void json_verdicts(FILE *f, const uint64_t *v)
{
	struct lbuf b;

	lb_init(&b, f);
	put_verdicts(&b, v);
	lb_flush(&b);
}

/*
 * One group as a JSON object, without a line end. now_ns (a snapshot):
 * also how many of its sockets are in CLOSE_WAIT at that moment. Built
 * without printf: a capture with many clients has tens of thousands of
 * groups, each with a timeline.
 */
static void json_group(struct rpt *r, FILE *f, const struct rpt_group *g,
		       int nb, uint64_t now_ns)
{
	char name[64];
	struct lbuf b;

	lb_init(&b, f);
	if (g->key.side == SIDE_PROCESS) {
		lb_str(&b, "{\"type\":\"process\",\"pid\":");
		if (g->key.pid) {
			lb_u64(&b, g->key.pid);
			lb_str(&b, ",\"comm\":");
			lb_flush(&b);
			rpt_json_string(f, g->key.comm);
		} else if (g->key.other) {
			/* the bucket of processes past RPT_GROUPS_MAX */
			lb_str(&b, "null,\"comm\":\"other\"");
		} else {
			lb_str(&b, "null,\"comm\":null");
		}
	} else {
		lb_str(&b, g->key.side == SIDE_SERVER
				   ? "{\"type\":\"service\",\"side\":\"server\","
				     "\"service\":\""
				   : "{\"type\":\"service\",\"side\":\"client\","
				     "\"host\":\"");
		lb_str(&b, fmt_gkey(name, sizeof(name), &g->key));
		lb_ch(&b, '"');
	}
	lb_str(&b, ",\"flows\":");
	lb_u64(&b, g->flows);
	lb_str(&b, ",\"verdicts\":");
	put_verdicts(&b, g->verdicts);
	if (g->key.side == SIDE_CLIENT) {
		lb_str(&b, ",\"toward\":\"");
		lb_endpoint(&b, g->peer.addr, g->peer.family, g->peer.port);
		lb_str(&b, g->peer_many ? "\",\"toward_many\":true"
					: "\",\"toward_many\":false");
	} else if (g->key.side == SIDE_SERVER) {
		lb_str(&b, ",\"client_leaks\":");
		lb_u64(&b, g->client_leaks);
	}
	lb_str(&b, ",\"close_wait\":{\"count\":");
	lb_u64(&b, g->cw_n);
	if (g->cw_n) {
		lb_str(&b, ",\"p50\":");
		lb_ns(&b, pct(g, 50));
		lb_str(&b, ",\"p90\":");
		lb_ns(&b, pct(g, 90));
		lb_str(&b, ",\"p99\":");
		lb_ns(&b, pct(g, 99));
		lb_str(&b, ",\"max\":");
		lb_ns(&b, g->cw_max);
		lb_str(&b, g->hist ? ",\"sampled\":true" : ",\"sampled\":false");
	}
	lb_ch(&b, '}');
	if (now_ns) {
		lb_str(&b, ",\"in_close_wait\":");
		lb_u64(&b, g->cw_now);
	}
	lb_str(&b, ",\"in_close_wait_at_end\":");
	lb_u64(&b, g->at_end);
	lb_str(&b, ",\"oldest_at_end\":");
	lb_ns(&b, g->oldest_at_end);
	lb_str(&b, ",\"peak_close_wait\":");
	lb_u64(&b, g->cw_peak);
	lb_str(&b, ",\"peak_offset\":");
	if (g->cw_peak)
		lb_ns_diff(&b, g->cw_peak_ns, r->origin_ns);
	else
		lb_str(&b, "null");
	if (r->span_ns >= RPT_GROWTH_MIN_NS) {
		char v[48];

		/* one printf: a rate, once per group */
		snprintf(v, sizeof(v), ",\"growth_per_hour\":%.1f",
			 growth_per_hour(r, g, nb));
		lb_str(&b, v);
	} else {
		lb_str(&b, ",\"growth_per_hour\":null");
	}
	lb_str(&b, ",\"timeline_bucket\":");
	lb_ns(&b, r->tl_width);
	lb_str(&b, ",\"timeline\":[");
	for (int t = 0; g->tl && t < nb; t++) {
		if (t)
			lb_ch(&b, ',');
		lb_u64(&b, g->tl[t]);
	}
	lb_str(&b, "],\"worst_flows\":[");
	for (unsigned w = 0; w < g->nworst; w++) {
		if (w)
			lb_ch(&b, ',');
		lb_u64(&b, g->worst[w].id);
	}
	lb_str(&b, "]}");
	lb_flush(&b);
}

static void json_groups(struct rpt *r, struct rpt_group **gs, size_t n,
			int nb)
{
	for (size_t i = 0; i < n; i++) {
		if (!gs[i]->flows)
			continue;
		json_group(r, r->cfg.out, gs[i], nb, 0);
		fputc('\n', r->cfg.out);
	}
}

/*
 * The summary's fields, from "version" on, without the braces: the
 * summary line and each snapshot line write the same fields.
 */
static void json_summary_fields(struct rpt *r, FILE *f,
				const struct rpt_facts *x, const char *head)
{
	const struct flow_stats *fs = x->flows;
	char b[48];

	fprintf(f, "\"version\":\"%s\",\"mode\":\"%s\",\"inputs\":[",
		FT_VERSION, r->cfg.mode ? r->cfg.mode : "read");
	for (size_t i = 0; i < x->ninputs; i++) {
		if (i)
			fputc(',', f);
		rpt_json_string(f, x->inputs[i]);
	}
	fprintf(f, "],\"linger\":%s", fmt_num(b, 48, r->cfg.linger_ns));
	if (x->first_ns) {
		fprintf(f, ",\"start\":\"%s\"", rpt_fmt_iso(b, 48, x->first_ns));
		fprintf(f, ",\"end\":\"%s\"", rpt_fmt_iso(b, 48, x->last_ns));
		fprintf(f, ",\"duration\":%s",
			fmt_num(b, 48, x->last_ns - x->first_ns));
	} else {
		fprintf(f, ",\"start\":null,\"end\":null,\"duration\":0");
	}
	fprintf(f, ",\"packets\":%" PRIu64 ",\"tcp_segments\":%" PRIu64
		   ",\"snapped\":%" PRIu64 ",\"drops\":%" PRIu64
		   ",\"queue_drops\":%" PRIu64 ",\"skipped\":{",
		x->packets, x->tcp_segments, x->snapped, x->drops,
		x->queue_drops);
	for (size_t i = 0; i < x->nskipped; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "",
			x->skipped[i].name, x->skipped[i].value);
	fprintf(f, "},\"flows\":%" PRIu64 ",\"verdicts\":", r->flows);
	json_verdicts(f, r->verdicts);
	if (fs) {
		fprintf(f, ",\"peak_tracked\":%" PRIu64, fs->peak_tracked);
		fprintf(f, ",\"evicted\":%" PRIu64,
			fs->ended[FLOW_END_EVICTED]);
		fprintf(f, ",\"reused\":%" PRIu64, fs->ended[FLOW_END_REUSED]);
		fprintf(f, ",\"idle_expired\":%" PRIu64,
			fs->ended[FLOW_END_IDLE]);
	}
	fprintf(f, ",\"lossy_flows\":%" PRIu64, r->lossy_flows);
	fprintf(f, ",\"one_way_flows\":%" PRIu64, r->one_way_flows);
	for (size_t i = 0; i < x->nextra; i++)
		fprintf(f, ",\"%s\":%" PRIu64, x->extra[i].name,
			x->extra[i].value);
	fprintf(f, ",\"filter\":");
	if (r->cfg.filter && r->cfg.filter[0]) {
		rpt_json_string(f, r->cfg.filter);
		fprintf(f, ",\"filter_matched\":%s",
			rpt_no_flow_matched(r) ? "false" : "true");
	} else {
		fputs("null,\"filter_matched\":null", f);
	}
	fprintf(f, ",\"headline\":");
	rpt_json_string(f, head);
	fprintf(f, ",\"error\":");
	if (x->error)
		rpt_json_string(f, x->error);
	else
		fputs("null", f);
	if (r->has_evidence) {
		const struct rpt_evidence *e = &r->ev;

		fputs(",\"evidence\":{\"file\":", f);
		rpt_json_string(f, e->nfiles ? e->files[0] : "");
		fputs(",\"files\":[", f);
		for (size_t i = 0; i < e->nfiles; i++) {
			if (i)
				fputc(',', f);
			rpt_json_string(f, e->files[i]);
		}
		fputs("],\"verdicts\":[", f);
		verdict_list(f, e->verdicts, 1);
		fprintf(f, "],\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
			   ",\"cut_flows\":%" PRIu64 ",\"cut_packets\":%" PRIu64,
			e->flows, e->packets, e->cut_flows, e->cut_packets);
		if (e->buffer_bytes)
			fprintf(f, ",\"buffer\":%" PRIu64, e->buffer_bytes);
		else
			fputs(",\"buffer\":null", f);
		fputs(",\"error\":", f);
		if (e->error)
			rpt_json_string(f, e->error);
		else
			fputs("null", f);
		fputc('}', f);
	}
}

static void json_summary(struct rpt *r, const struct rpt_facts *x,
			 const char *head)
{
	fputs("{\"type\":\"summary\",", r->cfg.out);
	json_summary_fields(r, r->cfg.out, x, head);
	fputs("}\n", r->cfg.out);
}

/* The picture of the finished report for rpt_get_view(). */
static int build_view(struct rpt *r, const struct rpt_facts *x,
		      struct rpt_group **gs, size_t n, const char *head,
		      int nb)
{
	struct rpt_view *v = &r->view;
	uint64_t seen[3] = {0, 0, 0};

	free(r->gviews);
	free(r->fviews);
	r->gviews = calloc(n ? n : 1, sizeof(*r->gviews));
	r->fviews = calloc(r->nworst ? r->nworst : 1, sizeof(*r->fviews));
	if (!r->gviews || !r->fviews)
		return -ENOMEM;
	memset(v, 0, sizeof(*v));
	v->mode = r->cfg.mode ? r->cfg.mode : "read";
	snprintf(v->headline, sizeof(v->headline), "%s", head);
	v->linger_ns = r->cfg.linger_ns;
	v->origin_ns = r->origin_ns;
	v->bucket_ns = r->tl_width;
	v->nbuckets = nb;
	v->flows = r->flows;
	memcpy(v->verdicts, r->verdicts, sizeof(v->verdicts));
	v->lossy_flows = r->lossy_flows;
	memcpy(v->hist, r->hist, sizeof(v->hist));
	group_cut(r, gs, n, SIDE_SERVER, &v->services_cut);
	group_cut(r, gs, n, SIDE_CLIENT, &v->clients_cut);
	group_cut(r, gs, n, SIDE_PROCESS, &v->processes_cut);
	for (size_t i = 0; i < n; i++) {
		const struct rpt_group *g = gs[i];
		struct rpt_group_view *gv = &r->gviews[v->ngroups];

		if (!g->flows)
			continue;
		v->ngroups++;
		gv->quiet = group_quiet(g);
		gv->listed = group_listed(r, g, &seen[g->key.side]);
		fmt_gkey(gv->name, sizeof(gv->name), &g->key);
		gv->client_side = g->key.side == SIDE_CLIENT;
		gv->process = g->key.side == SIDE_PROCESS;
		if (gv->client_side)
			rpt_fmt_endpoint(gv->toward, sizeof(gv->toward),
					 g->peer.addr, g->peer.family,
					 g->peer.port);
		gv->toward_many = g->peer_many;
		gv->flows = g->flows;
		memcpy(gv->verdicts, g->verdicts, sizeof(gv->verdicts));
		gv->client_leaks = g->client_leaks;
		gv->cw_count = g->cw_n;
		if (g->cw_n) {
			gv->p50 = pct(g, 50);
			gv->p90 = pct(g, 90);
			gv->p99 = pct(g, 99);
			gv->max = g->cw_max;
			gv->sampled = g->hist != NULL;
		}
		gv->at_end = g->at_end;
		gv->oldest_at_end = g->oldest_at_end;
		gv->peak = g->cw_peak;
		if (g->cw_peak && g->cw_peak_ns > r->origin_ns)
			gv->peak_offset_ns = g->cw_peak_ns - r->origin_ns;
		gv->growth_per_hour = growth_per_hour(r, g, nb);
		gv->timeline = g->tl;
		for (unsigned w = 0; w < g->nworst; w++)
			gv->worst[w] = g->worst[w].id;
		gv->nworst = g->nworst;
	}
	v->groups = r->gviews;
	for (unsigned i = 0; i < r->nworst; i++) {
		const struct rpt_brief *b = &r->worst[i];
		struct rpt_flow_view *fv = &r->fviews[i];

		fv->id = b->id;
		fv->verdict = (enum vd_verdict)b->verdict;
		endpoint_of(&b->key, b->client, fv->client, sizeof(fv->client));
		endpoint_of(&b->key, 1 - b->client, fv->server,
			    sizeof(fv->server));
		fv->close_wait_ns = b->close_wait_ns;
		fv->remote = b->remote;
		fv->fin_wait_ns = b->fin_wait_ns;
		fv->first_frame = b->first_frame;
		fv->last_frame = b->last_frame;
		if (b->sock)
			fmt_owner(fv->owner, sizeof(fv->owner), b);
		fv->at_end = b->at_end;
		fv->roles_inferred = b->roles_inferred;
		fv->lossy = b->lossy;
		if (!b->sock)
			fmt_filter(fv->filter, sizeof(fv->filter), &b->key,
				   b->first_frame, b->last_frame);
	}
	v->worst = r->fviews;
	v->nworst = r->nworst;
	worst_cut(r, &v->worst_cut);
	v->inputs = x->inputs;
	v->ninputs = x->ninputs;
	v->first_ns = x->first_ns;
	v->last_ns = x->last_ns;
	v->end_known = r->end_known;
	v->local_time = r->cfg.local_time;
	v->no_match = rpt_no_flow_matched(r);
	v->growth_known = r->span_ns >= RPT_GROWTH_MIN_NS;
	v->packets = x->packets;
	v->tcp_segments = x->tcp_segments;
	v->snapped = x->snapped;
	v->drops = x->drops;
	v->queue_drops = x->queue_drops;
	v->lost_records = x->lost_records;
	for (size_t i = 0; i < x->nskipped && i < 16; i++)
		v->skipped[v->nskipped++] = x->skipped[i];
	snprintf(v->error, sizeof(v->error), "%s", x->error ? x->error : "");
	if (x->flows) {
		v->flow_stats = *x->flows;
		v->has_flow_stats = 1;
	}
	v->has_evidence = r->has_evidence;
	v->evidence = r->ev;
	r->has_view = 1;
	return 0;
}

/* Snapshot order: most in CLOSE_WAIT now first, then as the report. */
static int snap_cmp(const void *pa, const void *pb)
{
	const struct rpt_group *a = *(struct rpt_group *const *)pa;
	const struct rpt_group *b = *(struct rpt_group *const *)pb;

	if (a->cw_now != b->cw_now)
		return a->cw_now > b->cw_now ? -1 : 1;
	return group_cmp(pa, pb);
}

/* One side's rows of a snapshot: "NAME":[...],"NAME_more":N. */
static void snap_side(struct rpt *r, FILE *f, struct rpt_group **gs,
		      size_t n, enum rpt_side side, const char *name,
		      unsigned top, uint64_t now_ns, int nb)
{
	uint64_t listed = 0, more = 0;

	if (!top || top > RPT_SNAPSHOT_ROWS)
		top = RPT_SNAPSHOT_ROWS;
	fprintf(f, ",\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		struct rpt_group *g = gs[i];

		if (g->key.side != side)
			continue;
		if (listed == top) {
			more++;
			continue;
		}
		/* only the rows written pay for their percentiles */
		if (g->vals)
			qsort(g->vals, g->nvals, sizeof(*g->vals), cmp_u64);
		tl_advance(r, g, now_ns, g->cw_now);
		if (listed++)
			fputc(',', f);
		json_group(r, f, g, nb, now_ns);
	}
	fprintf(f, "],\"%s_more\":%" PRIu64, name, more);
}

int rpt_snapshot(struct rpt *r, const struct rpt_facts *x, uint64_t now_ns,
		 FILE *f)
{
	size_t count = HASH_COUNT(r->groups), n = 0;
	struct rpt_group **gs, *g;
	uint64_t cw = 0;
	char head[512], who[64], b[48];
	int nb, k = 0;

	gs = calloc(count ? count : 1, sizeof(*gs));
	if (!gs)
		return -ENOMEM;
	for (g = r->groups; g; g = g->hh.next) {
		if (!g->flows && !g->cw_now && !g->cw_peak)
			continue;
		if (g->key.side != SIDE_PROCESS)
			cw += g->cw_now;
		gs[n++] = g;
	}
	tl_index(r, now_ns);
	nb = timeline_buckets(r, now_ns);
	r->span_ns = r->origin_ns && now_ns > r->origin_ns
			     ? now_ns - r->origin_ns
			     : 0;
	/* the headline of the flows finished so far, after what lingers */
	qsort(gs, n, sizeof(*gs), group_cmp);
	for (size_t i = 0; i < n && !k; i++)
		if (gs[i]->key.side != SIDE_PROCESS && gs[i]->cw_now)
			k = 1;
	qsort(gs, n, sizeof(*gs), snap_cmp);
	if (k) {
		k = snprintf(head, sizeof(head), "%s %s: %" PRIu64
			     " in CLOSE_WAIT now; ",
			     gs[0]->key.side == SIDE_CLIENT ? "client"
							    : "server",
			     fmt_gkey(who, sizeof(who), &gs[0]->key),
			     gs[0]->cw_now);
		if (k < 0 || (size_t)k >= sizeof(head))
			k = 0;
	}
	{
		/* headline() wants the report's order */
		struct rpt_group **hs = calloc(n ? n : 1, sizeof(*hs));

		if (!hs) {
			free(gs);
			return -ENOMEM;
		}
		memcpy(hs, gs, n * sizeof(*hs));
		qsort(hs, n, sizeof(*hs), group_cmp);
		headline(r, hs, n, head + k, sizeof(head) - (size_t)k);
		free(hs);
	}
	fprintf(f, "{\"type\":\"snapshot\",\"time\":\"%s\",",
		rpt_fmt_iso(b, sizeof(b), now_ns));
	fprintf(f, "\"span\":%s,", fmt_num(b, sizeof(b), r->span_ns));
	json_summary_fields(r, f, x, head);
	fprintf(f, ",\"in_close_wait\":%" PRIu64, cw);
	snap_side(r, f, gs, n, SIDE_SERVER, "services", r->cfg.top_services,
		  now_ns, nb);
	snap_side(r, f, gs, n, SIDE_CLIENT, "hosts", r->cfg.top_clients,
		  now_ns, nb);
	if (r->cfg.sockets)
		snap_side(r, f, gs, n, SIDE_PROCESS, "processes",
			  r->cfg.top_services, now_ns, nb);
	fputs("}\n", f);
	free(gs);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

int rpt_finish(struct rpt *r, const struct rpt_facts *x)
{
	struct rpt_group **gs;
	size_t n;
	char head[512];
	int nb;

	gs = sorted_groups(r, &n, x->last_ns);
	if (!gs)
		return -ENOMEM;
	r->span_ns = x->last_ns > r->origin_ns ? x->last_ns - r->origin_ns : 0;
	nb = timeline_buckets(r, x->last_ns);
	headline(r, gs, n, head, sizeof(head));
	if (r->cfg.format == RPT_TEXT) {
		text_report(r, x, gs, n, head, nb);
	} else if (r->cfg.format == RPT_JSON) {
		json_groups(r, gs, n, nb);
		json_summary(r, x, head);
	} else if (!r->header_done) {
		fputs(r->cfg.sockets ? csv_sock_header : csv_header,
		      r->cfg.out);
	}
	build_view(r, x, gs, n, head, nb);
	free(gs);
	if (fflush(r->cfg.out) || ferror(r->cfg.out))
		return -EIO;
	return 0;
}
