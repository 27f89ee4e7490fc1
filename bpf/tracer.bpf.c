// SPDX-License-Identifier: MIT
/*
 * Kernel half of `fintrace kernel`. Each TCP socket's closing history
 * (when it entered CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, who owns it, who
 * closed it) is kept with the socket in socket-local storage, created at
 * connect(), at the end of a passive open, or (sockets opened before
 * tracing) at its first closing state, and freed with it. A record
 * goes to user space only when it is needed:
 *
 *  - the end (CLOSE) of a socket whose teardown was not clean: reset,
 *    refused, connect() failed, FIN never acknowledged, simultaneous
 *    close, CLOSE_WAIT past the linger threshold, or any socket a record
 *    was already sent about; a reset as it happens;
 *  - nothing for a socket that stays silent in CLOSE_WAIT: user space
 *    walks the sockets in closing states on its interval (sock_diag, which
 *    returns each one's storage with it) and finds those past the
 *    threshold. Any closing state that lasted the threshold makes the
 *    socket's end a record, so that what the walk reported ends too.
 *
 * A clean end costs a per-CPU counter update instead, keyed by namespace,
 * owner, service and role, with a histogram of close-waits, which user
 * space reads on its interval. Records are submitted without waking user
 * space, which polls, unless the ring buffer is filling up. Filters are
 * const volatile (set before load) and applied here.
 */
#include "vmlinux_min.h"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "event.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

/* Linux TCP state numbers (include/net/tcp_states.h). */
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_FIN_WAIT1 4
#define TCP_FIN_WAIT2 5
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_CLOSE_WAIT 8
#define TCP_LAST_ACK 9
#define TCP_LISTEN 10
#define TCP_CLOSING 11
#define TCP_NEW_SYN_RECV 12

const volatile __u16 targ_port = 0;   /* either end */
const volatile __u16 targ_lport = 0;
const volatile __u16 targ_rport = 0;
const volatile __u8 targ_family = 0;  /* 0, 4 or 6 */
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_netns = 0;
const volatile __u64 linger_ns = 5000000000ull;
/* Force a wake-up once this much is queued (a quarter of the ring). */
const volatile __u64 wake_bytes = 64 * 1024;
/* 1: every program returns at once (the benchmark's floor). */
const volatile __u8 floor_only = 0;
/* 1: the accept hook is attached and fills `owners`. */
const volatile __u8 with_accept = 1;
/* 1: clean ends are records too, not only counted (--all lists them). */
const volatile __u8 every_end = 0;

/* Entries user space put in `tracked` (sockets found by a dump). */
__u32 tracked_n = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Records lost, by cause (enum trc_lost_cause). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRC_LOST_N);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct trc_sk);
} socks SEC(".maps");

/* Clean ends, per CPU; user space reads them and keeps the deltas. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct trc_agg_key);
	__type(value, struct trc_agg_val);
} clean SEC(".maps");

/* A zeroed value to insert into `clean` from (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trc_agg_val);
} clean_zero SEC(".maps");

/*
 * Network namespaces where a socket got storage: the only ones user
 * space needs to walk (a walk visits one namespace at a time).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} nets SEC(".maps");

/*
 * The process accept() returned a socket to, keyed by the socket's
 * address: the accept hook is a classic tracepoint, which cannot reach
 * socket storage; the state hook moves it there and deletes it.
 */
struct owner {
	__u32 pid;
	__u32 pad;
	char comm[TRC_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct owner);
} owners SEC(".maps");

/*
 * Cookies of sockets found lingering by the start-up dump, which have no
 * storage: their later records pass the filters through here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} tracked SEC(".maps");

/* See handle_set_nested. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trc_nest);
} nest SEC(".maps");

char LICENSE[] SEC("license") = "Dual MIT/GPL";

static __always_inline void count_lost(__u32 cause)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &cause);

	if (n)
		*n += 1;
}

/*
 * Local port of a full socket. skc_num is cleared when the socket reaches
 * CLOSE, before the state-change tracepoint; inet_sport stays.
 */
static __always_inline __u16 local_port(const struct sock *sk)
{
	__u16 port = sk->__sk_common.skc_num;

	if (!port)
		port = bpf_ntohs(
			BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	return port;
}

/* The sock_common part, valid for full, request and timewait sockets. */
static __always_inline void fill_common(struct trc_event *e,
					const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	e->family = family == AF_INET6 ? 6 : 4;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->oldstate = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->newstate = e->oldstate;
	if (family == AF_INET6) {
		/* the destination's type sets the size read: 16 bytes */
		BPF_CORE_READ_INTO((struct in6_addr *)e->saddr, sk,
				   __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)e->daddr, sk,
				   __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk,
				   __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk,
				   __sk_common.skc_daddr);
	}
}

/*
 * sk_lock.owned is set while a process holds the socket lock (connect,
 * accept, close, or backlog processing at release_sock); softirq never
 * changes the state of an owned socket, so then the current task is a
 * process that has the socket.
 */
static __always_inline int owned_by_task(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_lock.owned) != 0;
}

/* Port, family and namespace filters; 1 when the socket passes. */
static __always_inline int pass_sock(const struct sock *sk)
{
	__u16 family, lport, rport;

	if (targ_family) {
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if ((targ_family == 4 && family != AF_INET) ||
		    (targ_family == 6 && family != AF_INET6))
			return 0;
	}
	if (targ_port || targ_lport || targ_rport) {
		lport = local_port(sk);
		rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (targ_port && lport != targ_port && rport != targ_port)
			return 0;
		if (targ_lport && lport != targ_lport)
			return 0;
		if (targ_rport && rport != targ_rport)
			return 0;
	}
	if (targ_netns &&
	    BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != targ_netns)
		return 0;
	return 1;
}

static __always_inline void set_closer(struct trc_sk *st)
{
	st->closer_pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(st->closer_comm, sizeof(st->closer_comm));
}

/* Move the owner accept() left in `owners` into the socket's storage. */
static __always_inline void take_owner(const struct sock *sk, struct trc_sk *st)
{
	__u64 key = (__u64)sk;
	struct owner *ow;

	if (!with_accept || (st->flags & TRC_SK_OWNED))
		return;
	ow = bpf_map_lookup_elem(&owners, &key);
	if (!ow)
		return;
	st->owner_pid = ow->pid;
	__builtin_memcpy(st->owner_comm, ow->comm, TRC_COMM_LEN);
	st->owner_src = TRC_SRC_ACCEPT;
	st->role = TRC_ROLE_SERVER;
	st->flags |= TRC_SK_OWNED;
	bpf_map_delete_elem(&owners, &key);
}

/*
 * With a pid filter, whether the socket is that process's: it connected
 * or accepted it, or acts on it now. Decided as soon as it is known and
 * remembered in the storage.
 */
static __always_inline int matches(const struct sock *sk, struct trc_sk *st,
				   int task)
{
	if (st->flags & TRC_SK_MATCH)
		return 1;
	take_owner(sk, st);
	if ((st->flags & TRC_SK_OWNED) && st->owner_pid == targ_tgid)
		st->flags |= TRC_SK_MATCH;
	else if (task && (bpf_get_current_pid_tgid() >> 32) == targ_tgid)
		st->flags |= TRC_SK_MATCH;
	return (st->flags & TRC_SK_MATCH) != 0;
}

/* The socket's storage, created when it passes the socket filters. */
static __always_inline struct trc_sk *sk_new(struct sock *sk, __u64 now)
{
	struct trc_sk *st;
	__u32 netns;
	__u8 one = 1;

	if (!pass_sock(sk))
		return NULL;
	st = bpf_sk_storage_get(&socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return NULL;
	if (!st->start_ns) {
		/* a new socket: is its namespace known? (rarely not) */
		netns = sk->__sk_common.skc_net.net->ns.inum;
		if (!bpf_map_lookup_elem(&nets, &netns))
			bpf_map_update_elem(&nets, &netns, &one, BPF_NOEXIST);
	}
	if (!targ_tgid)
		st->flags |= TRC_SK_MATCH;
	take_owner(sk, st);
	if (!st->start_ns)
		st->start_ns = now;
	return st;
}

static __always_inline __u64 wake_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}

/*
 * One record about sk (a full socket when full), with a copy of its
 * storage st (may be NULL), which is then marked sent. 0: it was lost
 * (and counted so).
 */
static __always_inline int emit(void *sk, struct trc_sk *st, __u8 kind,
				__u8 oldstate, __u8 newstate, __u8 rst,
				__u8 flags, int full, int task)
{
	const struct tcp_sock *tp = sk;
	struct trc_event *e;
	__u64 id;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		/* no room, or the ring's lock refused us with room left */
		count_lost(bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) +
					   sizeof(*e) + 8 >
				   bpf_ringbuf_query(&events,
						     BPF_RB_RING_SIZE)
			   ? TRC_LOST_FULL
			   : TRC_LOST_REFUSED);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->mono_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->rst = rst;
	e->flags = flags;
	e->cookie = bpf_get_socket_cookie(sk);
	fill_common(e, sk);
	e->oldstate = oldstate;
	e->newstate = newstate;
	if (full) {
		e->sport = local_port(sk);
		e->ino = BPF_CORE_READ((struct sock *)sk, sk_socket, file,
				       f_inode, i_ino);
		e->unread = BPF_CORE_READ(tp, rcv_nxt) -
			    BPF_CORE_READ(tp, copied_seq);
	}
	if (task) {
		id = bpf_get_current_pid_tgid();
		e->in_task = 1;
		e->pid = id >> 32;
		e->tid = (__u32)id;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	if (st) {
		take_owner(sk, st);
		st->flags |= TRC_SK_SENT;
		__builtin_memcpy(&e->sk, st, sizeof(*st));
		e->flags |= TRC_EVF_SK;
	}
	bpf_ringbuf_submit(e, wake_flag());
	return 1;
}

/* Bucket of v in the close-wait histogram (see event.h). */
static __always_inline __u32 hist_bucket(__u64 v)
{
	__u64 x = v;
	__u32 e = 0, i;

	if (v < 4)
		return (__u32)v;
	if (x >> 32) {
		e += 32;
		x >>= 32;
	}
	if (x >> 16) {
		e += 16;
		x >>= 16;
	}
	if (x >> 8) {
		e += 8;
		x >>= 8;
	}
	if (x >> 4) {
		e += 4;
		x >>= 4;
	}
	if (x >> 2) {
		e += 2;
		x >>= 2;
	}
	if (x >> 1)
		e += 1;
	i = 4 * (e - 1) + (__u32)((v >> (e - 2)) & 3);
	return i < TRC_HIST_N ? i : TRC_HIST_N - 1;
}

/*
 * A clean end: count it under (namespace, owner, service, role), with its
 * close-wait when this side was passive.
 */
static __always_inline void count_clean(const struct sock *sk,
					const struct trc_sk *st, int passive,
					__u64 now)
{
	struct trc_agg_key k = {};
	struct trc_agg_val *v;
	__u16 family = sk->__sk_common.skc_family;
	__u16 lport = local_port(sk);
	__u16 rport = bpf_ntohs(sk->__sk_common.skc_dport);
	__u32 zero = 0, b;
	__u64 cw;
	int server;

	k.netns = sk->__sk_common.skc_net.net->ns.inum;
	/* without connect() or accept() seen, the process that closed it */
	k.pid = st->owner_pid ? st->owner_pid : st->closer_pid;
	k.family = family == AF_INET6 ? 6 : 4;
	/* without connect() or accept() seen, the lower port is the service */
	server = st->role ? st->role == TRC_ROLE_SERVER : lport <= rport;
	k.role = server ? TRC_ROLE_SERVER : TRC_ROLE_CLIENT;
	k.port = server ? lport : rport;
	if (family == AF_INET6) {
		if (server)
			BPF_CORE_READ_INTO((struct in6_addr *)k.addr, sk,
					   __sk_common.skc_v6_rcv_saddr);
		else
			BPF_CORE_READ_INTO((struct in6_addr *)k.addr, sk,
					   __sk_common.skc_v6_daddr);
	} else {
		*(__u32 *)k.addr = server ? sk->__sk_common.skc_rcv_saddr
					  : sk->__sk_common.skc_daddr;
	}
	v = bpf_map_lookup_elem(&clean, &k);
	if (!v) {
		v = bpf_map_lookup_elem(&clean_zero, &zero);
		if (!v)
			return;
		bpf_map_update_elem(&clean, &k, v, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&clean, &k);
		if (!v) {
			count_lost(TRC_LOST_MAP);
			return;
		}
	}
	v->clean++;
	if (st->owner_pid)
		__builtin_memcpy(v->comm, st->owner_comm, TRC_COMM_LEN);
	else if (st->closer_pid)
		__builtin_memcpy(v->comm, st->closer_comm, TRC_COMM_LEN);
	if (passive && st->cw_ns && st->cw_end_ns >= st->cw_ns) {
		cw = st->cw_end_ns - st->cw_ns;
		b = hist_bucket(cw);
		v->cw_n++;
		if (b < TRC_HIST_N)
			v->hist[b]++;
	}
}

/* A socket without storage: its record passes when it was seeded. */
static __always_inline int seeded(struct sock *sk)
{
	__u64 cookie;

	if (!tracked_n)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	return bpf_map_lookup_elem(&tracked, &cookie) != NULL;
}

/* The full socket's end (CLOSE, or TIME_WAIT) from oldstate. */
static __always_inline void on_end(struct sock *sk, struct trc_sk *st,
				   int oldstate, int task, __u64 now)
{
	__u8 flags = 0;
	int clean;

	if (oldstate == TCP_SYN_SENT &&
	    BPF_CORE_READ((struct tcp_sock *)sk, segs_out) == 0)
		flags |= TRC_EVF_NO_SYN;
	if (!st) {
		/* unclean ends of sockets opened before tracing began */
		switch (oldstate) {
		case TCP_SYN_SENT:
		case TCP_SYN_RECV:
		case TCP_ESTABLISHED:
		case TCP_CLOSE_WAIT:
		case TCP_FIN_WAIT1:
			if (targ_tgid ? !seeded(sk) : !pass_sock(sk))
				return;
			break;
		default:
			if (!seeded(sk))
				return;
		}
		emit(sk, NULL, TRC_EV_STATE, oldstate, TCP_CLOSE, 0, flags, 1,
		     task);
		return;
	}
	if (targ_tgid && !matches(sk, st, task))
		return;
	/* clean: FINs both ways, no closing state as long as the threshold */
	clean = !(st->flags & (TRC_SK_SENT | TRC_SK_LATE | TRC_SK_RST)) &&
		(oldstate == TCP_LAST_ACK || oldstate == TCP_FIN_WAIT2 ||
		 oldstate == TCP_TIME_WAIT) &&
		now - st->state_ns < linger_ns;
	if (clean && !every_end) {
		count_clean(sk, st, oldstate == TCP_LAST_ACK, now);
		return;
	}
	/* a record (--all: clean ones too); a lost clean one is counted */
	if (!emit(sk, st, TRC_EV_STATE, oldstate, TCP_CLOSE, 0, flags, 1,
		  task) &&
	    clean)
		count_clean(sk, st, oldstate == TCP_LAST_ACK, now);
}

/* A TCP state change of sk: the state hook's work. */
static __always_inline int on_set_state(struct sock *sk, int oldstate,
					int newstate)
{
	struct trc_sk *st;
	__u64 now, key;
	int task;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	/* Listening sockets never linger in a closing state. */
	if (newstate == TCP_LISTEN || oldstate == TCP_LISTEN)
		return 0;
	if (newstate == TCP_SYN_RECV)
		return 0;
	/*
	 * A passive open: the storage starts here, where the role is known
	 * (a server's first closing state would need it anyway).
	 */
	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		now = bpf_ktime_get_ns();
		st = sk_new(sk, now);
		if (st) {
			st->role = TRC_ROLE_SERVER;
			st->state_ns = now;
		}
		return 0;
	}
	st = bpf_sk_storage_get(&socks, sk, 0, 0);
	/* the handshake's end: only a client's storage notes it */
	if (newstate == TCP_ESTABLISHED) {
		if (st)
			st->state_ns = bpf_ktime_get_ns();
		return 0;
	}
	now = bpf_ktime_get_ns();
	task = sk->sk_lock.owned != 0;

	switch (newstate) {
	case TCP_SYN_SENT:
		/* connect(), in the calling process */
		if (targ_tgid &&
		    (!task || (bpf_get_current_pid_tgid() >> 32) != targ_tgid))
			return 0;
		st = sk_new(sk, now);
		if (!st)
			return 0;
		st->flags |= TRC_SK_MATCH | TRC_SK_OWNED;
		st->role = TRC_ROLE_CLIENT;
		st->owner_src = TRC_SRC_CONNECT;
		st->owner_pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(st->owner_comm, sizeof(st->owner_comm));
		st->state_ns = now;
		return 0;
	case TCP_CLOSE_WAIT:
		/* the peer's FIN: RFC 9293 3.6, this side is passive */
		if (!st)
			st = sk_new(sk, now);
		if (!st)
			return 0;
		st->cw_ns = now;
		if (!st->passive)
			st->passive = TRC_SIDE_LOCAL;
		st->state_ns = now;
		return 0;
	case TCP_FIN_WAIT1:
		/* this side's close() or shutdown(): it closes first */
		if (!st)
			st = sk_new(sk, now);
		if (!st)
			return 0;
		/*
		 * The timewait sock that takes over from FIN_WAIT2 or
		 * CLOSING copies the socket's cookie when it is made
		 * (inet_twsk_alloc), before this socket's end is recorded:
		 * give it its cookie now, or the timewait sock gets
		 * another one and sock_diag's samples cannot tell it is
		 * this socket (a FIN_WAIT2 orphan listed twice).
		 */
		bpf_get_socket_cookie(sk);
		st->fin_ns = now;
		if (!st->passive)
			st->passive = TRC_SIDE_REMOTE;
		if (task)
			set_closer(st);
		st->state_ns = now;
		return 0;
	case TCP_FIN_WAIT2:
		if (st) {
			st->fw2_ns = now;
			st->state_ns = now;
		}
		return 0;
	case TCP_LAST_ACK:
		if (!st) {
			/* a socket seeded in CLOSE_WAIT closes */
			if (oldstate == TCP_CLOSE_WAIT && seeded(sk))
				emit(sk, NULL, TRC_EV_STATE, oldstate, newstate,
				     0, 0, 1, task);
			return 0;
		}
		if (oldstate == TCP_CLOSE_WAIT) {
			st->cw_end_ns = now;
			if (task)
				set_closer(st);
			if (st->cw_ns && now - st->cw_ns >= linger_ns)
				st->flags |= TRC_SK_LATE;
		}
		st->state_ns = now;
		/* closed after an alert, or late: say so now */
		if ((st->flags & (TRC_SK_SENT | TRC_SK_LATE)) &&
		    (!targ_tgid || matches(sk, st, task)))
			emit(sk, st, TRC_EV_STATE, oldstate, newstate, 0, 0, 1,
			     task);
		return 0;
	case TCP_CLOSING:
		if (st) {
			st->state_ns = now;
			st->flags |= TRC_SK_LATE; /* simultaneous: not clean */
		}
		return 0;
	case TCP_CLOSE:
	case TCP_TIME_WAIT:
		on_end(sk, st, oldstate, task, now);
		if (with_accept && (!st || !(st->flags & TRC_SK_OWNED))) {
			key = (__u64)sk;
			bpf_map_delete_elem(&owners, &key);
		}
		return 0;
	default:
		return 0;
	}
}

/* This CPU's entry of `nest`. */
static __always_inline struct trc_nest *nest_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nest, &zero);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, struct sock *sk, int oldstate, int newstate)
{
	struct trc_nest *n;

	if (floor_only)
		return 0;
	n = nest_here();
	if (n) {
		n->sk = (__u64)sk;
		n->newstate = newstate;
	}
	return on_set_state(sk, oldstate, newstate);
}

/*
 * The kernel runs a program once per CPU at a time: a run of the hook
 * that comes while handle_set_state is under way on the CPU is skipped
 * for it (bpf_prog_info.recursion_misses). That happens: in a process
 * (connect(), close()), softirqs can run inside that window (creating a
 * socket's storage, or an RCU read-side section's end, lets interrupts
 * in), and they change other sockets' states: on loopback, the FIN_WAIT2
 * and the end of the connection closed just before. 22 to 74 runs of
 * about 400 were lost so, in the first second of a fresh program.
 *
 * This second program on the same hook runs after handle_set_state on
 * every run (a tracepoint calls its programs in the order they were
 * attached), and does the work of the runs handle_set_state skipped:
 * those that are not the state change it last began on this CPU. A
 * socket's own state changes never nest (its lock), so a nested one is
 * another socket's. The kernel can skip this program too, in the same
 * way: then handle_set_state was not under way and did the work (but for
 * one that came in this program's few instructions before its test,
 * which overwrites the entry: its own change would then be done twice;
 * no run measured so far counted a socket twice).
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_nested, struct sock *sk, int oldstate, int newstate)
{
	struct trc_nest *n;

	if (floor_only)
		return 0;
	n = nest_here();
	if (!n)
		return 0;
	if (n->sk == (__u64)sk && n->newstate == (__u32)newstate) {
		n->sk = 0;
		return 0;
	}
	n->caught++;
	return on_set_state(sk, oldstate, newstate);
}

static __always_inline __u8 rst_cause(int reason)
{
	if (bpf_core_enum_value_exists(enum sk_rst_reason,
				       SK_RST_REASON_TCP_ABORT_ON_CLOSE) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason,
					  SK_RST_REASON_TCP_ABORT_ON_CLOSE))
		return TRC_RST_UNREAD;
	if (bpf_core_enum_value_exists(enum sk_rst_reason,
				       SK_RST_REASON_TCP_STATE) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason,
					  SK_RST_REASON_TCP_STATE))
		return TRC_RST_ABORT;
	if (bpf_core_enum_value_exists(enum sk_rst_reason,
				       SK_RST_REASON_TCP_ABORT_ON_MEMORY) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason,
					  SK_RST_REASON_TCP_ABORT_ON_MEMORY))
		return TRC_RST_MEMORY;
	if (bpf_core_enum_value_exists(enum sk_rst_reason,
				       SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason,
					  SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT))
		return TRC_RST_KEEPALIVE;
	if (bpf_core_enum_value_exists(enum sk_rst_reason,
				       SK_RST_REASON_TCP_ABORT_ON_LINGER) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason,
					  SK_RST_REASON_TCP_ABORT_ON_LINGER))
		return TRC_RST_LINGER2;
	return TRC_RST_OTHER;
}

/* A reset sent or received by a full socket: recorded as it happens. */
static __always_inline int on_reset(struct sock *sk, __u8 kind, __u8 rst)
{
	struct trc_sk *st;
	__u8 state;
	int task;

	if (floor_only || !sk)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	/* timewait and request sockets answer stray segments */
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV ||
	    state == TCP_LISTEN)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	task = owned_by_task(sk);
	st = bpf_sk_storage_get(&socks, sk, 0, 0);
	if (!st && state != TCP_CLOSE)
		st = sk_new(sk, bpf_ktime_get_ns());
	if (st) {
		if (targ_tgid && !matches(sk, st, task))
			return 0;
		st->flags |= TRC_SK_RST;
	} else if (targ_tgid ? !seeded(sk) : !pass_sock(sk)) {
		return 0;
	}
	emit(sk, st, kind, state, state, rst, 0, 1, task);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(handle_send_reset, struct sock *sk, const struct sk_buff *skb,
	     int reason)
{
	return on_reset(sk, TRC_EV_RST_SENT, rst_cause(reason));
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	return on_reset(sk, TRC_EV_RST_RECV, TRC_RST_NONE);
}

/*
 * accept()/accept4() returned a descriptor: find its socket through the
 * caller's file table and keep the owner for the state hook. Classic
 * tracepoint: the pointers are read with bpf_probe_read_kernel
 * (BPF_CORE_READ).
 */
static __always_inline int handle_accept_ret(long fd)
{
	struct task_struct *task;
	struct file **fds;
	struct file *f = NULL;
	struct socket *so;
	struct sock *sk;
	struct owner ow = {};
	__u64 key;

	if (floor_only || !with_accept || fd < 0)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	if (fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	so = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	ow.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ow.comm, sizeof(ow.comm));
	key = (__u64)sk;
	bpf_map_update_elem(&owners, &key, &ow, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int handle_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept_ret(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int handle_accept(struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept_ret(ctx->ret);
}
