/* SPDX-License-Identifier: MIT */
/*
 * The metrics of a running mode; see metrics.h.
 *
 * The sockets in CLOSE_WAIT now are listed anew on each update; they are
 * grouped by label values in a hash (count and oldest age per series)
 * before the gauges are cleared and set, so the registry sees one mx_set
 * per series, and a series whose sockets all closed disappears.
 */
#include "engine/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "analysis/report.h"
#include "analysis/verdict.h"
#include "metrics/http.h"
#include "metrics/snapshot.h"

#define NS 1e9

/* One series of the CLOSE_WAIT gauges being listed. */
struct em_cw {
	char key[3 * MX_VALUE_SIZE]; /* service, comm, container, each NUL
					terminated, the rest zero */
	uint64_t count;
	uint64_t oldest_ns;
	UT_hash_handle hh;
};

struct em {
	enum mxt_mode mode;
	int fam[MXT__METRICS];
	struct mx_registry *reg;
	struct mxs *pub;
	struct mxh *srv;
	struct em_cw *cw; /* hash of the current listing */
};

struct em *em_start(enum mxt_mode mode, const char *listen, char *err)
{
	struct mxh_config cfg = {.listen = listen};
	struct em *m = calloc(1, sizeof(*m));
	int rc;

	if (!m) {
		snprintf(err, FT_ERRBUF_SIZE, "--metrics: out of memory");
		return NULL;
	}
	m->mode = mode;
	m->reg = mxt_new(mode, m->fam);
	m->pub = m->reg ? mxs_new() : NULL;
	if (!m->pub) {
		snprintf(err, FT_ERRBUF_SIZE, "--metrics: %s", strerror(errno));
		rc = -errno;
		goto fail;
	}
	/* the families exist before the first update: publish them now */
	rc = mxs_publish(m->pub, m->reg);
	if (!rc)
		rc = mxh_start(&cfg, m->pub, &m->srv, err);
	else
		snprintf(err, FT_ERRBUF_SIZE, "--metrics: out of memory");
	if (rc)
		goto fail;
	return m;
fail:
	em_stop(m);
	errno = -rc;
	return NULL;
}

static void cw_clear(struct em *m)
{
	struct em_cw *e, *tmp;

	HASH_ITER(hh, m->cw, e, tmp)
	{
		HASH_DEL(m->cw, e);
		free(e);
	}
}

void em_stop(struct em *m)
{
	if (!m)
		return;
	mxh_stop(m->srv);
	mxs_free(m->pub);
	mx_free(m->reg);
	cw_clear(m);
	free(m);
}

uint16_t em_port(const struct em *m)
{
	return m && m->srv ? mxh_port(m->srv) : 0;
}

void em_service(char buf[EM_SERVICE_SIZE], const struct flow_key *key,
		int client)
{
	int server = client == 0 || client == 1 ? 1 - client : 1;

	rpt_fmt_endpoint(buf, EM_SERVICE_SIZE, key->addr[server], key->family,
			 key->port[server]);
}

void em_flow_done(struct em *m, const struct flow_record *rec)
{
	char svc[EM_SERVICE_SIZE];
	const char *v[2];

	/* an orphan whose close the kernel had counted clean (em_clean):
	 * that count moved to the socket, but a counter never goes back,
	 * so the socket is not counted a second time */
	if (!m || (rec->sock && rec->sock->counted))
		return;
	em_service(svc, rec->key, rec->td->client);
	v[0] = vd_name(rec->res.verdict);
	v[1] = svc;
	mx_add(m->reg, m->fam[MXT_TEARDOWNS_TOTAL], v, 1);
	/* the histogram is of close-waits that ended: the passive side
	 * closed (a socket still there is in the gauges) */
	if (rec->res.has_close_wait && !rec->res.in_close_wait_at_end)
		mx_observe(m->reg, m->fam[MXT_CLOSE_WAIT_SECONDS], &v[1],
			   (double)rec->res.close_wait_ns / NS);
}

void em_clean(struct em *m, const struct rpt_clean *c)
{
	char svc[EM_SERVICE_SIZE];
	struct flow_key key;
	const char *v[2];

	/* a counter never goes back: ends taken back stay counted */
	if (!m || !c->count || c->moved)
		return;
	memset(&key, 0, sizeof(key));
	memcpy(key.addr[0], c->addr, 16);
	key.port[0] = c->port;
	key.family = c->family;
	em_service(svc, &key, 1);
	v[0] = vd_name(VD_CLEAN);
	v[1] = svc;
	mx_add(m->reg, m->fam[MXT_TEARDOWNS_TOTAL], v, (double)c->count);
	for (size_t i = 0; i < c->ncw; i++)
		mx_observe_n(m->reg, m->fam[MXT_CLOSE_WAIT_SECONDS], &v[1],
			     (double)c->cw_ns[i] / NS, c->cw_count[i]);
}

void em_cw_begin(struct em *m)
{
	if (m)
		cw_clear(m);
}

int em_cw_add(struct em *m, const char *service, const char *comm,
	      const char *container, uint64_t age_ns)
{
	const char *parts[3] = {service, comm, container};
	struct em_cw k, *e;
	size_t off = 0;

	if (!m)
		return 0;
	memset(k.key, 0, sizeof(k.key));
	for (int i = 0; i < (m->mode == MXT_KERNEL ? 3 : 1); i++) {
		const char *s = parts[i] ? parts[i] : "";
		size_t n = strnlen(s, MX_VALUE_SIZE - 1);

		memcpy(k.key + off, s, n);
		off += n + 1;
	}
	HASH_FIND(hh, m->cw, k.key, sizeof(k.key), e);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		memcpy(e->key, k.key, sizeof(e->key));
		HASH_ADD(hh, m->cw, key, sizeof(e->key), e);
	}
	e->count++;
	if (age_ns > e->oldest_ns)
		e->oldest_ns = age_ns;
	return 0;
}

int em_cw_add_flow(struct em *m, const struct flow_key *key, int client,
		   uint64_t age_ns)
{
	char svc[EM_SERVICE_SIZE];

	if (!m)
		return 0;
	em_service(svc, key, client);
	return em_cw_add(m, svc, NULL, NULL, age_ns);
}

static void tw_one(void *ctx, const struct tw_now *n)
{
	struct em *m = ctx;
	char cli[INET6_ADDRSTRLEN], svc[EM_SERVICE_SIZE];
	const char *v[2] = {cli, svc};

	if (!inet_ntop(n->family == SEG_IPV6 ? AF_INET6 : AF_INET, n->client,
		       cli, sizeof(cli)))
		snprintf(cli, sizeof(cli), "?");
	rpt_fmt_endpoint(svc, sizeof(svc), n->service, n->family, n->port);
	/* the same pair in two namespaces: the larger share */
	mx_set(m->reg, m->fam[MXT_TIME_WAIT_PORT_SHARE], v, n->share);
}

void em_time_wait(struct em *m, const struct tw *tw)
{
	if (!m)
		return;
	mx_family_clear(m->reg, m->fam[MXT_TIME_WAIT_PORT_SHARE]);
	if (tw)
		tw_foreach_now(tw, tw_one, m);
}

void em_counters(struct em *m, const struct em_counters *c)
{
	if (!m)
		return;
	/* a family this mode does not have is -1: mx_set ignores it */
	mx_set(m->reg, m->fam[MXT_PACKETS_TOTAL], NULL, (double)c->packets);
	mx_set(m->reg, m->fam[MXT_KERNEL_DROPS_TOTAL], NULL, (double)c->drops);
	mx_set(m->reg, m->fam[MXT_QUEUE_DROPS_TOTAL], NULL,
	       (double)c->queue_drops);
	mx_set(m->reg, m->fam[MXT_BPF_LOST_RECORDS_TOTAL], NULL,
	       (double)c->lost);
	mx_set(m->reg, m->fam[MXT_EVICTED_FLOWS_TOTAL], NULL,
	       (double)c->evicted);
}

int em_publish(struct em *m)
{
	struct em_cw *e, *tmp;

	if (!m)
		return 0;
	mx_family_clear(m->reg, m->fam[MXT_CLOSE_WAIT_SOCKETS]);
	mx_family_clear(m->reg, m->fam[MXT_CLOSE_WAIT_OLDEST_SECONDS]);
	HASH_ITER(hh, m->cw, e, tmp)
	{
		const char *v[3];
		size_t off = 0;

		for (int i = 0; i < 3; i++) {
			v[i] = e->key + off;
			off += strlen(v[i]) + 1;
			if (off >= sizeof(e->key))
				off = sizeof(e->key) - 1;
		}
		/* past the series cap, values share one "other" series:
		 * add there, and keep its oldest */
		mx_add(m->reg, m->fam[MXT_CLOSE_WAIT_SOCKETS], v,
		       (double)e->count);
		mx_set_max(m->reg, m->fam[MXT_CLOSE_WAIT_OLDEST_SECONDS], v,
			   (double)e->oldest_ns / NS);
	}
	return mxs_publish(m->pub, m->reg);
}
