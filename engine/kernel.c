// SPDX-License-Identifier: MIT
/*
 * The kernel engine's report; see kernel.h.
 */
#include "engine/kernel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "analysis/container.h"
#include "analysis/flow.h"

/* Containers cached per owner; past this many, the cache restarts. */
#define KREP_CTR_CACHE 4096

/* The owner as the tracker names it: the process and the name of its
 * thread that connected or accepted (a pid reused by another program
 * comes with another name). Zero-padded: it is a hash key. */
struct krep_owner {
	uint32_t pid;
	char comm[KS_COMM_LEN];
};

struct krep_ctr {
	struct krep_owner owner;
	char id[CTR_SHORT_ID_SIZE];
	UT_hash_handle hh;
};

struct krep {
	struct krep_config c;
	struct rpt *rpt;
	FILE *out;
	uint64_t next_id;
	struct em *em;	       /* borrowed, may be NULL */
	struct krep_ctr *ctrs; /* containers per pid */
	/* the report keeps a pointer to its inputs for the HTML writer,
	 * which runs after krep_finish() */
	const char *inputs[1];
	unsigned nctrs;
};

/* One socket as a record of the report model; everything is filled. */
struct krec {
	struct flow_key key;
	struct td_flow td;
	struct rpt_sock sock;
	struct flow_record rec;
	char comm[KS_COMM_LEN];
	char closer[KS_COMM_LEN];
	char container[CTR_SHORT_ID_SIZE];
	int local; /* the flow endpoint that is this socket */
};

struct krep *krep_new(const struct krep_config *c, FILE *out)
{
	struct rpt_config rc = {
		.format = c->format,
		.sockets = 1,
		.linger_ns = c->linger_ns,
		.top = c->top,
		.top_services = c->top_services,
		.top_clients = c->top_clients,
		.max_groups = c->max_groups,
		.list_open = c->all,
		.out = out,
		.mode = "kernel",
		.local_time = c->local_time,
	};
	struct krep *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->c = *c;
	k->out = out;
	k->rpt = rpt_new(&rc);
	if (!k->rpt) {
		free(k);
		errno = ENOMEM;
		return NULL;
	}
	rpt_set_origin(k->rpt, c->start_ns + c->wall_off);
	/* tracing stops at a known moment: close-waits up to it are exact */
	rpt_set_end_known(k->rpt, 1);
	return k;
}

static void ctr_clear(struct krep *k)
{
	struct krep_ctr *c, *tmp;

	HASH_ITER(hh, k->ctrs, c, tmp)
	{
		HASH_DEL(k->ctrs, c);
		free(c);
	}
	k->nctrs = 0;
}

const char *krep_container(struct krep *k, uint32_t pid, const char *comm)
{
	struct krep_owner o;
	struct krep_ctr *c;
	struct ctr_info info;

	if (!pid)
		return "";
	memset(&o, 0, sizeof(o));
	o.pid = pid;
	strncpy(o.comm, comm, sizeof(o.comm) - 1);
	HASH_FIND(hh, k->ctrs, &o, sizeof(o), c);
	if (c)
		return c->id;
	if (k->nctrs >= (k->c.ctr_cache ? k->c.ctr_cache : KREP_CTR_CACHE))
		ctr_clear(k);
	c = calloc(1, sizeof(*c));
	if (!c)
		return "";
	c->owner = o;
	/* gone or unreadable: no container rather than a guess */
	if (ctr_read_pid(NULL, pid, &info) > 0)
		ctr_short_id(&info, c->id);
	HASH_ADD(hh, k->ctrs, owner, sizeof(c->owner), c);
	k->nctrs++;
	return c->id;
}

void krep_free(struct krep *k)
{
	if (!k)
		return;
	ctr_clear(k);
	rpt_free(k->rpt);
	free(k);
}

struct rpt *krep_report(struct krep *k)
{
	return k->rpt;
}

/* Printable copy of a kernel comm (it may hold any byte). */
static void clean_comm(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < KS_COMM_LEN - 1 && src[i]; i++)
		dst[i] = (unsigned char)src[i] < 0x20 ? '_' : src[i];
	dst[i] = '\0';
}

static uint8_t phase_of(uint8_t p)
{
	switch (p) {
	case KS_PHASE_BEFORE_FIN:
		return TD_PHASE_BEFORE_FIN;
	case KS_PHASE_AFTER_FIN:
		return TD_PHASE_AFTER_FIN;
	case KS_PHASE_LATE_FIN:
		return TD_PHASE_ANSWERING_FIN;
	default:
		return TD_PHASE_NONE;
	}
}

/*
 * The record of socket s as of now (mono). The flow's endpoints are this
 * host's socket (local) and its peer; roles, closer and reset side are
 * the tracker's, in the flow's endpoint numbering.
 */
static void krec_of(struct krep *k, const struct ks_sock *s, uint64_t now,
		    struct krec *r)
{
	struct flow_seg seg;
	uint64_t off = k->c.wall_off, end;
	int local, client;

	memset(r, 0, sizeof(*r));
	memset(&seg, 0, sizeof(seg));
	memcpy(seg.saddr, s->laddr, 16);
	memcpy(seg.daddr, s->raddr, 16);
	seg.sport = s->lport;
	seg.dport = s->rport;
	seg.family = s->family == 6 ? SEG_IPV6 : SEG_IPV4;
	local = flow_key_from_seg(&seg, &r->key);
	r->local = local;

	if (s->role == KS_ROLE_CLIENT)
		client = local;
	else if (s->role == KS_ROLE_SERVER)
		client = 1 - local;
	else /* the higher port is the client's */
		client = s->lport > s->rport ? local : 1 - local;
	end = s->closed && s->closed_ns ? s->closed_ns : now;

	r->td.client = (int8_t)client;
	r->td.roles_inferred = s->role_inferred || s->role == KS_ROLE_UNKNOWN;
	r->td.first_ns = s->first_ns + off;
	r->td.last_ns = (end > s->first_ns ? end : s->first_ns) + off;
	r->td.active = s->passive == KS_SIDE_LOCAL    ? (int8_t)(1 - local)
		       : s->passive == KS_SIDE_REMOTE ? (int8_t)local
						      : -1;

	r->rec.key = &r->key;
	r->rec.td = &r->td;
	r->rec.id = ++k->next_id;
	r->rec.end = s->closed ? FLOW_END_FINISHED : FLOW_END_INPUT;
	r->rec.sock = &r->sock;
	r->rec.res.verdict = (enum vd_verdict)s->verdict;
	r->rec.res.active = r->td.active;
	r->rec.res.reset_by = s->rst_by == KS_SIDE_LOCAL    ? local
			      : s->rst_by == KS_SIDE_REMOTE ? 1 - local
							    : -1;
	r->rec.res.reset_phase = phase_of(s->rst_phase);
	if (s->passive == KS_SIDE_LOCAL && s->cw_start_ns) {
		uint64_t cw = ks_close_wait(s, now);

		r->rec.res.has_close_wait = 1;
		r->td.cw_start_ns = s->cw_start_ns + off;
		r->rec.res.cw_start_ns = s->cw_start_ns + off;
		r->rec.res.close_wait_ns = cw;
		r->rec.res.cw_end_ns = s->cw_start_ns + cw + off;
		r->rec.res.in_close_wait_at_end =
			s->state == KS_TCP_CLOSE_WAIT && !s->closed;
	}
	if (s->passive == KS_SIDE_REMOTE &&
	    ks_time_in(s, KS_T_FIN_WAIT2, now)) {
		r->rec.res.has_fin_wait = 1;
		r->rec.res.fin_wait_ns = ks_time_in(s, KS_T_FIN_WAIT2, now);
	}

	clean_comm(r->comm, s->owner_comm);
	clean_comm(r->closer, s->closer_comm);
	r->sock.cookie = s->cookie;
	r->sock.ino = s->ino;
	r->sock.peer_cookie = s->peer_cookie;
	r->sock.netns = s->netns;
	r->sock.pid = s->owner_pid;
	r->sock.comm = s->owner_pid ? r->comm : "";
	snprintf(r->container, sizeof(r->container), "%s",
		 krep_container(k, s->owner_pid, s->owner_comm));
	r->sock.container = r->container[0] ? r->container : NULL;
	r->sock.owner_from = s->owner_src ? ks_src_name(s->owner_src) : NULL;
	r->sock.closer_pid = s->closer_pid;
	r->sock.closer_comm = s->closer_pid ? r->closer : "";
	r->sock.state = ks_state_name(s->state);
	r->sock.local = client == local ? "client" : "server";
	r->sock.passive = s->passive ? ks_side_name(s->passive) : NULL;
	r->sock.reset_cause = s->rst_by ? ks_rst_name(s->rst_cause) : NULL;
	r->sock.signature = s->signature;
	for (int c = KS_T_FIN_WAIT1; c < KS_T__COUNT; c++)
		r->sock.time_in[c - KS_T_FIN_WAIT1] =
			ks_time_in(s, (enum ks_clock)c, now);
	r->sock.age_ns = end > s->first_ns ? end - s->first_ns : 0;
	r->sock.unread = s->unread;
	r->sock.pre_existing = s->pre_existing;
	r->sock.cw_at_least = s->cw_at_least && s->cw_start_ns;
	r->sock.time_wait_sampled = s->tw_seen;
	r->sock.end_lost = s->end_lost;
	r->sock.counted = s->counted;
}

void krep_close_wait(void *ctx, const struct ks_sock *s, int delta,
		     uint64_t now_ns)
{
	struct krep *k = ctx;
	struct krec r;

	krec_of(k, s, now_ns, &r);
	k->next_id--; /* not a record */
	/* the count belongs to the side in CLOSE_WAIT: this socket */
	r.td.active = (int8_t)(1 - r.local);
	rpt_sock_close_wait(k->rpt, &r.key, &r.td, &r.sock, delta,
			    now_ns + k->c.wall_off);
}

static void feed(struct krep *k, const struct ks_sock *s, uint64_t now)
{
	struct krec r;

	krec_of(k, s, now, &r);
	rpt_flow_done(k->rpt, &r.rec);
	em_flow_done(k->em, &r.rec);
}

void krep_forget(void *ctx, const struct ks_sock *s)
{
	struct krep *k = ctx;

	feed(k, s, s->closed_ns ? s->closed_ns : s->state_ns);
}

void krep_clean(void *ctx, const struct ks_clean *c)
{
	struct krep *k = ctx;
	uint64_t cw_ns[KS_HIST_N], cw_count[KS_HIST_N];
	struct rpt_clean rc = {
		.family = c->family,
		.port = c->port,
		.server = c->role == KS_ROLE_SERVER,
		.pid = c->pid,
		.comm = c->comm,
		.count = c->count,
		.cw_ns = cw_ns,
		.cw_count = cw_count,
		.moved = c->moved,
	};

	memcpy(rc.addr, c->addr, 16);
	for (unsigned i = 0; i < KS_HIST_N; i++) {
		if (!c->hist[i])
			continue;
		cw_ns[rc.ncw] = ks_hist_mid(i);
		cw_count[rc.ncw++] = c->hist[i];
	}
	rpt_sock_clean(k->rpt, &rc);
	em_clean(k->em, &rc);
}

void krep_metrics(struct krep *k, struct em *em)
{
	k->em = em;
}

struct cw_all {
	struct krep *k;
	uint64_t now;
};

static void cw_one(void *ctx, const struct ks_sock *s)
{
	struct cw_all *ca = ctx;
	char svc[EM_SERVICE_SIZE];
	struct krec r;

	if (s->state != KS_TCP_CLOSE_WAIT || s->closed || !s->cw_start_ns)
		return;
	krec_of(ca->k, s, ca->now, &r);
	ca->k->next_id--; /* not a record */
	em_service(svc, &r.key, r.td.client);
	em_cw_add(ca->k->em, svc, r.sock.comm, r.container,
		  ks_close_wait(s, ca->now));
}

int krep_metrics_update(struct krep *k, const struct ks_table *t,
			const struct tw *tw, const struct em_counters *c,
			uint64_t now_ns)
{
	struct cw_all ca = {k, now_ns};

	if (!k->em)
		return 0;
	em_cw_begin(k->em);
	ks_foreach(t, cw_one, &ca);
	em_time_wait(k->em, tw);
	em_counters(k->em, c);
	return em_publish(k->em);
}

struct feed_all {
	struct krep *k;
	uint64_t now;
};

static void feed_one(void *ctx, const struct ks_sock *s)
{
	struct feed_all *fa = ctx;

	feed(fa->k, s, fa->now);
}

/* The summary's facts as of now_ns (mono). */
static void krep_facts(struct krep *k, uint64_t now_ns,
		       const struct rpt_counter *extra, size_t nextra,
		       const char *error, struct rpt_facts *x)
{
	k->inputs[0] = k->c.what ? k->c.what : "all TCP sockets";
	memset(x, 0, sizeof(*x));
	x->inputs = k->inputs;
	x->ninputs = 1;
	x->first_ns = k->c.start_ns + k->c.wall_off;
	x->last_ns = now_ns + k->c.wall_off;
	x->error = error;
	x->extra = extra;
	x->nextra = nextra;
	for (size_t i = 0; i < nextra; i++)
		if (!strcmp(extra[i].name, "lost_events"))
			x->lost_records = extra[i].value;
}

int krep_snapshot(struct krep *k, uint64_t now_ns,
		  const struct rpt_counter *extra, size_t nextra, FILE *f)
{
	struct rpt_facts x;

	krep_facts(k, now_ns, extra, nextra, NULL, &x);
	return rpt_snapshot(k->rpt, &x, x.last_ns, f);
}

int krep_finish(struct krep *k, const struct ks_table *t, struct tw *tw,
		uint64_t now_ns, const struct rpt_counter *extra, size_t nextra,
		const char *error)
{
	struct feed_all fa = {k, now_ns};
	struct rpt_facts x;
	FILE *out;
	int rc;

	ks_foreach(t, feed_one, &fa);
	krep_facts(k, now_ns, extra, nextra, error, &x);
	out = k->out;
	/* as in the packet engine: JSON timewait lines before the
	 * services, the text section after the report */
	if (tw && k->c.format == RPT_JSON)
		tw_write(tw, out, RPT_JSON, x.first_ns);
	rc = rpt_finish(k->rpt, &x);
	if (tw && k->c.format == RPT_TEXT) {
		tw_write(tw, out, RPT_TEXT, x.first_ns);
		if (fflush(out) || ferror(out))
			rc = rc ? rc : -EIO;
	}
	return rc;
}
