// SPDX-License-Identifier: MIT
/*
 * Kernel half of `fintrace kernel`: reports TCP state changes, resets,
 * socket destruction and accepted sockets through a ring buffer. Every
 * record carries the socket cookie (stable identity), the network
 * namespace inode and the socket inode, so that user space can keep
 * identical 4-tuples of two namespaces apart and find the owning process
 * through /proc/PID/fd. Filters are const volatile (set before load) and
 * applied here, before anything is reserved in the ring buffer. A failed
 * reservation is counted per CPU in `lost`, which user space reports.
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
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCP_NEW_SYN_RECV 12

const volatile __u16 targ_port = 0;   /* either end */
const volatile __u16 targ_lport = 0;
const volatile __u16 targ_rport = 0;
const volatile __u8 targ_family = 0;  /* 0, 4 or 6 */
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_netns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Reservations that failed because user space fell behind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/*
 * With a filter: cookies of the sockets that matched it once. The kernel
 * clears a socket's local port when it reaches CLOSE, and a pid is known
 * only in task context, so later records of a socket pass through here.
 * User space adds the sockets it seeds; entries go at tcp_destroy_sock.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} tracked SEC(".maps");

char LICENSE[] SEC("license") = "Dual MIT/GPL";

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
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
 * Fields of a full socket only. sk_lock.owned is set while a process holds
 * the socket lock (connect, accept, close, or backlog processing at
 * release_sock); softirq never changes the state of an owned socket, so
 * then the current task is a process that has the socket.
 */
static __always_inline void fill_full(struct trc_event *e,
				      const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 id;

	e->ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	e->unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
	if (BPF_CORE_READ(sk, sk_lock.owned)) {
		id = bpf_get_current_pid_tgid();
		e->in_task = 1;
		e->pid = id >> 32;
		e->tid = (__u32)id;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
}

static __always_inline int is_full_sock_state(__u8 state)
{
	return state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV;
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
		lport = BPF_CORE_READ(sk, __sk_common.skc_num);
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

static __always_inline int have_filter(void)
{
	return targ_port || targ_lport || targ_rport || targ_tgid;
}

/*
 * All filters. A socket that matched once is remembered in `tracked` and
 * passes from then on; with a pid filter it matches when that process
 * acts on it in task context (connect, accept, close).
 */
static __always_inline int pass(const struct sock *sk, __u64 cookie,
				int in_task)
{
	__u8 one = 1;
	int match;

	if (!have_filter())
		return pass_sock(sk);
	if (bpf_map_lookup_elem(&tracked, &cookie))
		return 1;
	match = pass_sock(sk);
	if (match && targ_tgid)
		match = in_task &&
			(bpf_get_current_pid_tgid() >> 32) == targ_tgid;
	if (match)
		bpf_map_update_elem(&tracked, &cookie, &one, BPF_ANY);
	return match;
}

static __always_inline int owned_by_task(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_lock.owned) != 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, struct sock *sk, int oldstate, int newstate)
{
	struct trc_event *e;
	__u64 cookie;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	/* Listening sockets never linger in a closing state. */
	if (newstate == TCP_LISTEN ||
	    (oldstate == TCP_LISTEN && newstate == TCP_CLOSE))
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	if (!pass(sk, cookie, owned_by_task(sk)))
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->mono_ns = bpf_ktime_get_ns();
	e->kind = TRC_EV_STATE;
	e->cookie = cookie;
	fill_common(e, sk);
	fill_full(e, sk);
	e->oldstate = oldstate;
	e->newstate = newstate;
	bpf_ringbuf_submit(e, 0);
	return 0;
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

/* Shared by the reset and destroy hooks: one record about sk, as is. */
static __always_inline int emit_sock(const struct sock *sk, __u8 kind,
				     __u8 rst)
{
	struct trc_event *e;
	__u64 cookie;
	__u8 state;
	int full;

	if (!sk)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	full = is_full_sock_state(state);
	if (full && BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (state == TCP_LISTEN)
		return 0;
	cookie = bpf_get_socket_cookie((void *)sk);
	if (!pass(sk, cookie, full && owned_by_task(sk)))
		return 0;
	if (have_filter() && kind == TRC_EV_DESTROY)
		bpf_map_delete_elem(&tracked, &cookie);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->mono_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->rst = rst;
	e->cookie = cookie;
	fill_common(e, sk);
	if (full)
		fill_full(e, sk);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(handle_send_reset, const struct sock *sk,
	     const struct sk_buff *skb, int reason)
{
	return emit_sock(sk, TRC_EV_RST_SENT, rst_cause(reason));
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	return emit_sock(sk, TRC_EV_RST_RECV, TRC_RST_NONE);
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(handle_destroy_sock, struct sock *sk)
{
	return emit_sock(sk, TRC_EV_DESTROY, TRC_RST_NONE);
}

/*
 * accept()/accept4() returned a descriptor: find its socket through the
 * caller's file table and report the owner. Classic tracepoint: the
 * pointers are read with bpf_probe_read_kernel (BPF_CORE_READ), and the
 * cookie is read from the socket, where the state hook generated it.
 */
static __always_inline int handle_accept_ret(long fd)
{
	struct task_struct *task;
	struct file **fds;
	struct file *f = NULL;
	struct socket *so;
	struct sock *sk;
	struct trc_event *e;
	__u64 cookie, id;

	if (fd < 0)
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
	cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	id = bpf_get_current_pid_tgid();
	if (!pass(sk, cookie, 1))
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->mono_ns = bpf_ktime_get_ns();
	e->kind = TRC_EV_ACCEPT;
	e->cookie = cookie;
	fill_common(e, sk);
	e->ino = BPF_CORE_READ(f, f_inode, i_ino);
	e->unread = BPF_CORE_READ((struct tcp_sock *)sk, rcv_nxt) -
		    BPF_CORE_READ((struct tcp_sock *)sk, copied_seq);
	e->in_task = 1;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
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
