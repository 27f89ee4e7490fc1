// SPDX-License-Identifier: MIT
/*
 * User half of the kernel tracer: skeleton life cycle, optional hooks,
 * ring-buffer reading, the clean-end counters and the
 * lost-record counter. See tracer.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/tracer.h"
#include "tracer.skel.h"

#define TRC_TRACEFS "/sys/kernel/tracing"
#define TRC_TRACEFS_MAGIC 0x74726163
#define TRC_DEFAULT_RINGBUF (256u * 1024u)

struct trc {
	struct tracer_bpf *skel;
	struct ring_buffer *rb;
	trc_event_fn fn;
	void *ctx;
	unsigned features;
	uint64_t received;
	int mounted_tracefs;
	int ncpus;
	char reduced[FT_ERRBUF_SIZE];
};

/* The log level, set once at start-up and never changed after. */
static int trc_verbose;

void trc_set_verbose(int verbose)
{
	trc_verbose = verbose;
}

/* libbpf's messages, demoted: shown only when verbose. */
static int trc_libbpf_print(enum libbpf_print_level level, const char *fmt,
			    va_list ap)
{
	if (!trc_verbose || (level == LIBBPF_DEBUG && trc_verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void reduced_add(struct trc *t, const char *what)
{
	size_t n = strlen(t->reduced);

	snprintf(t->reduced + n, sizeof(t->reduced) - n, "%s%s",
		 n ? "; " : "", what);
}

/*
 * vlen of the prototype of the tracepoint's BTF handler typedef
 * (btf_trace_NAME), counting the leading context pointer; -1 when the
 * tracepoint does not exist.
 */
static int tp_arity(const struct btf *vmlinux, const char *name)
{
	char tname[128];
	const struct btf_type *t;
	int id;

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(vmlinux, id);
	if (!t)
		return -1;
	t = btf__type_by_id(vmlinux, t->type);
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(vmlinux, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t);
}

/* 1 when tracefs is usable at TRC_TRACEFS, mounting it if needed. */
static int tracefs_ready(struct trc *t)
{
	struct statfs sf;

	if (statfs(TRC_TRACEFS, &sf) == 0 && sf.f_type == TRC_TRACEFS_MAGIC)
		return 1;
	if (mount("nodev", TRC_TRACEFS, "tracefs", 0, NULL) != 0)
		return 0;
	t->mounted_tracefs = 1;
	return 1;
}

static uint32_t ringbuf_size(uint32_t want)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), sz = page;

	if (!want)
		return TRC_DEFAULT_RINGBUF;
	while (sz < want && sz < (1u << 30))
		sz <<= 1;
	return sz;
}

static int trc_on_sample(void *ctx, void *data, size_t size)
{
	struct trc *t = ctx;

	if (size < sizeof(struct trc_event))
		return 0;
	t->received++;
	return t->fn ? t->fn(t->ctx, data) : 0;
}

static void set_rodata(struct tracer_bpf *skel, const struct trc_opts *o,
		       uint32_t ring)
{
	const char *floor;

	if (o->linger_ns)
		skel->rodata->linger_ns = o->linger_ns;
	skel->rodata->wake_bytes = ring / 4;
	/* the benchmark's floor: the same hooks, programs that return */
	floor = getenv("FT_BPF_FLOOR");
	skel->rodata->floor_only = o->floor || (floor && !strcmp(floor, "1"));
	skel->rodata->with_accept = !o->no_accept;
	skel->rodata->every_end = o->every_end ? 1 : 0;
	skel->rodata->targ_port = o->port;
	skel->rodata->targ_lport = o->lport;
	skel->rodata->targ_rport = o->rport;
	skel->rodata->targ_family = o->family;
	skel->rodata->targ_tgid = o->pid;
	skel->rodata->targ_netns = o->netns;
}

/* Autoload only the optional programs whose tracepoint fits. */
static void choose_programs(struct trc *t, const struct trc_opts *o)
{
	struct tracer_bpf *skel = t->skel;
	struct btf *vmlinux = btf__load_vmlinux_btf();

	/* (ctx, sk, skb, reason) */
	if (!vmlinux || tp_arity(vmlinux, "tcp_send_reset") != 4) {
		bpf_program__set_autoload(skel->progs.handle_send_reset, false);
		reduced_add(t, "no tcp_send_reset hook (who reset is partial)");
	}
	if (!vmlinux || tp_arity(vmlinux, "tcp_receive_reset") != 2) {
		bpf_program__set_autoload(skel->progs.handle_receive_reset,
					  false);
		reduced_add(t, "no tcp_receive_reset hook");
	}
	if (o->no_accept) {
		bpf_program__set_autoload(skel->progs.handle_accept4, false);
		bpf_program__set_autoload(skel->progs.handle_accept, false);
	}
	btf__free(vmlinux);
}

/* Attach one optional program; returns 1 when it attached. */
static int attach_optional(struct bpf_program *prog, struct bpf_link **link)
{
	if (!bpf_program__autoload(prog))
		return 0;
	*link = bpf_program__attach(prog);
	if (!*link) {
		*link = NULL;
		return 0;
	}
	return 1;
}

struct trc *trc_new(const struct trc_opts *o, trc_event_fn fn, void *ctx,
		    char *err)
{
	static const struct trc_opts defaults;
	struct trc *t = NULL;
	int ret, saved;

	if (!o)
		o = &defaults;
	err[0] = '\0';
	libbpf_set_print(trc_libbpf_print);
	if (geteuid() != 0) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "BPF tracing needs root (CAP_BPF and CAP_PERFMON)");
		errno = EPERM;
		return NULL;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux): "
			 "CO-RE programs cannot load");
		errno = ENOENT;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	t->fn = fn;
	t->ctx = ctx;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		ret = t->ncpus ? t->ncpus : -EINVAL;
		snprintf(err, FT_ERRBUF_SIZE, "cannot count possible CPUs");
		goto fail;
	}

	t->skel = tracer_bpf__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "cannot open the BPF object: %s",
			 strerror(-ret));
		goto fail;
	}
	set_rodata(t->skel, o, ringbuf_size(o->ringbuf_bytes));
	ret = bpf_map__set_max_entries(t->skel->maps.events,
				       ringbuf_size(o->ringbuf_bytes));
	if (ret) {
		snprintf(err, FT_ERRBUF_SIZE, "cannot size the ring buffer: %s",
			 strerror(-ret));
		goto fail;
	}
	choose_programs(t, o);

	ret = tracer_bpf__load(t->skel);
	if (ret) {
		if (ret == -EPERM)
			snprintf(err, FT_ERRBUF_SIZE,
				 "loading BPF programs was refused (EPERM): "
				 "needs CAP_BPF and CAP_PERFMON, or BPF is "
				 "locked down");
		else if (ret == -EINVAL || ret == -EACCES)
			snprintf(err, FT_ERRBUF_SIZE,
				 "the kernel's verifier rejected the BPF "
				 "programs (%s); FT_DEBUG=1 shows its log",
				 strerror(-ret));
		else
			snprintf(err, FT_ERRBUF_SIZE,
				 "cannot load the BPF programs: %s",
				 strerror(-ret));
		goto fail;
	}

	t->skel->links.handle_set_state =
		bpf_program__attach(t->skel->progs.handle_set_state);
	if (!t->skel->links.handle_set_state) {
		ret = -errno;
		t->skel->links.handle_set_state = NULL;
		snprintf(err, FT_ERRBUF_SIZE,
			 "cannot attach to tp_btf/inet_sock_set_state: %s",
			 strerror(-ret));
		goto fail;
	}
	t->features |= TRC_F_STATE;
	if (!attach_optional(t->skel->progs.handle_set_nested,
			     &t->skel->links.handle_set_nested))
		reduced_add(t, "no second state hook (state changes that come "
			       "while the first runs on the CPU are lost)");
	if (attach_optional(t->skel->progs.handle_send_reset,
			    &t->skel->links.handle_send_reset))
		t->features |= TRC_F_RST_SENT;
	else if (bpf_program__autoload(t->skel->progs.handle_send_reset))
		reduced_add(t, "tcp_send_reset did not attach");
	if (attach_optional(t->skel->progs.handle_receive_reset,
			    &t->skel->links.handle_receive_reset))
		t->features |= TRC_F_RST_RECV;
	else if (bpf_program__autoload(t->skel->progs.handle_receive_reset))
		reduced_add(t, "tcp_receive_reset did not attach");
	if (!o->no_accept) {
		if (tracefs_ready(t) &&
		    attach_optional(t->skel->progs.handle_accept4,
				    &t->skel->links.handle_accept4) &&
		    attach_optional(t->skel->progs.handle_accept,
				    &t->skel->links.handle_accept))
			t->features |= TRC_F_ACCEPT;
		else
			reduced_add(t, "no accept() hook (tracefs or syscall "
				       "tracepoints unavailable): owners of "
				       "accepted sockets come from /proc only");
	}

	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events),
				 trc_on_sample, t, NULL);
	if (!t->rb) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "cannot map the ring buffer: %s",
			 strerror(-ret));
		goto fail;
	}
	return t;

fail:
	saved = ret < 0 ? -ret : EINVAL;
	trc_free(t);
	errno = saved;
	return NULL;
}

void trc_free(struct trc *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	tracer_bpf__destroy(t->skel);
	if (t->mounted_tracefs)
		umount2(TRC_TRACEFS, MNT_DETACH);
	free(t);
}

int trc_poll(struct trc *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms), m;

	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* records are queued without a wake-up: take them too */
	m = ring_buffer__consume(t->rb);
	if (m < 0)
		return m;
	return n + m;
}

size_t trc_netns(const struct trc *t, uint32_t *netns, size_t max)
{
	struct bpf_map *map = t->skel->maps.nets;
	uint32_t key, next;
	size_t n = 0;
	int have = 0;

	while (n < max && !bpf_map__get_next_key(map, have ? &key : NULL,
						 &next, sizeof(next))) {
		key = next;
		have = 1;
		netns[n++] = key;
	}
	return n;
}

int trc_storage_fd(const struct trc *t)
{
	return bpf_map__fd(t->skel->maps.socks);
}

int trc_clean_read(struct trc *t, trc_clean_fn fn, void *ctx)
{
	struct bpf_map *map = t->skel->maps.clean;
	struct trc_agg_key key, next;
	struct trc_agg_val *vals = NULL, sum;
	size_t sz = (size_t)t->ncpus * sizeof(*vals);
	int ret = 0, i, j, have = 0, guard;

	vals = malloc(sz);
	if (!vals)
		return -ENOMEM;
	for (guard = 0; guard < 1 << 20; guard++) {
		if (bpf_map__get_next_key(map, have ? &key : NULL, &next,
					  sizeof(next)))
			break;
		key = next;
		have = 1;
		if (bpf_map__lookup_elem(map, &key, sizeof(key), vals, sz, 0))
			continue;
		memset(&sum, 0, sizeof(sum));
		for (i = 0; i < t->ncpus; i++) {
			sum.clean += vals[i].clean;
			sum.cw_n += vals[i].cw_n;
			if (vals[i].comm[0])
				memcpy(sum.comm, vals[i].comm, TRC_COMM_LEN);
			for (j = 0; j < TRC_HIST_N; j++)
				sum.hist[j] += vals[i].hist[j];
		}
		fn(ctx, &key, &sum);
	}
	free(vals);
	return ret;
}

unsigned trc_features(const struct trc *t)
{
	return t->features;
}

const char *trc_reduced(const struct trc *t)
{
	return t->reduced;
}

/*
 * The sum over CPUs of the 64-bit counter at offset off in the value
 * (size bytes) under key of the per-CPU array map; 0 when unreadable.
 */
static uint64_t percpu_sum(const struct trc *t, const struct bpf_map *map,
			   uint32_t key, size_t size, size_t off)
{
	unsigned char *vals;
	uint64_t n = 0, v;
	int i;

	vals = calloc((size_t)t->ncpus, size);
	if (!vals)
		return 0;
	if (bpf_map__lookup_elem(map, &key, sizeof(key), vals,
				 (size_t)t->ncpus * size, 0) == 0)
		for (i = 0; i < t->ncpus; i++) {
			memcpy(&v, vals + (size_t)i * size + off, sizeof(v));
			n += v;
		}
	free(vals);
	return n;
}

/*
 * Runs the kernel skipped because a program was already running on the
 * CPU: those of the state and reset hooks (records lost) returned, but
 * for those of handle_set_state that handle_set_nested did (counted in
 * `nest`, taken off handle_set_state's alone; its own skipped runs lose
 * nothing: handle_set_state did them); those of the accept hooks (an
 * owner looked up in /proc instead) in *accept.
 */
static uint64_t recursion_misses(const struct trc *t, uint64_t *accept)
{
	struct bpf_program *p;
	struct bpf_prog_info info;
	uint32_t len;
	uint64_t n = 0, state = 0, caught = 0;

	*accept = 0;
	bpf_object__for_each_program(p, t->skel->obj)
	{
		if (bpf_program__fd(p) < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		if (p == t->skel->progs.handle_accept ||
		    p == t->skel->progs.handle_accept4)
			*accept += info.recursion_misses;
		else if (p == t->skel->progs.handle_set_state)
			state = info.recursion_misses;
		else if (p != t->skel->progs.handle_set_nested)
			n += info.recursion_misses;
	}
	if (t->skel->links.handle_set_nested)
		caught = percpu_sum(t, t->skel->maps.nest, 0,
				    sizeof(struct trc_nest),
				    offsetof(struct trc_nest, caught));
	return n + (state > caught ? state - caught : 0);
}

uint64_t trc_lost_by_cause(const struct trc *t, struct trc_lost *out)
{
	const struct bpf_map *lost = t->skel->maps.lost;

	memset(out, 0, sizeof(*out));
	out->skipped = recursion_misses(t, &out->accept_skipped);
	out->full = percpu_sum(t, lost, TRC_LOST_FULL, sizeof(uint64_t), 0);
	out->refused =
		percpu_sum(t, lost, TRC_LOST_REFUSED, sizeof(uint64_t), 0);
	out->map = percpu_sum(t, lost, TRC_LOST_MAP, sizeof(uint64_t), 0);
	return out->full + out->refused + out->map + out->skipped;
}

uint64_t trc_lost(const struct trc *t)
{
	struct trc_lost l;

	return trc_lost_by_cause(t, &l);
}

int trc_track(struct trc *t, uint64_t cookie)
{
	uint8_t one = 1;
	int ret;

	ret = bpf_map__update_elem(t->skel->maps.tracked, &cookie,
				   sizeof(cookie), &one, sizeof(one), BPF_ANY);
	if (!ret)
		t->skel->bss->tracked_n++;
	return ret;
}

uint64_t trc_received(const struct trc *t)
{
	return t->received;
}
