/* SPDX-License-Identifier: MIT */
/*
 * The record tracer.bpf.c sends through its ring buffer, shared with user
 * space (tracer.c). Fixed-width types only, no pointers, explicit padding,
 * so that both compilers agree on the layout.
 */
#ifndef FT_BPF_EVENT_H
#define FT_BPF_EVENT_H

#include <linux/types.h>

/* What happened to the socket. */
enum trc_kind {
	TRC_EV_STATE = 1,    /* inet_sock_set_state: oldstate -> newstate */
	TRC_EV_RST_SENT = 2, /* tcp_send_reset: this socket sent a RST */
	TRC_EV_RST_RECV = 3, /* tcp_receive_reset: this socket got a RST */
	TRC_EV_DESTROY = 4,  /* tcp_destroy_sock: the full socket is freed */
	TRC_EV_ACCEPT = 5,   /* accept()/accept4() returned this socket */
};

/* Why a RST was sent, from the kernel's enum sk_rst_reason. */
enum trc_rst {
	TRC_RST_NONE = 0,
	TRC_RST_OTHER = 1,
	TRC_RST_UNREAD = 2,    /* close() with unread received data */
	TRC_RST_ABORT = 3,     /* disconnect: SO_LINGER 0 close, or abort */
	TRC_RST_MEMORY = 4,    /* orphan socket dropped under memory pressure */
	TRC_RST_KEEPALIVE = 5, /* keepalive or user timeout expired */
	TRC_RST_LINGER2 = 6,   /* close() in FIN_WAIT2 with TCP_LINGER2 < 0 */
};

#define TRC_COMM_LEN 16

struct trc_event {
	__u64 mono_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cookie;    /* bpf_get_socket_cookie(): stable socket identity */
	__u64 ino;       /* socket inode (socket:[INO]), 0 when not known */
	__u32 netns;     /* network namespace inode */
	__u32 pid;       /* tgid of the process acting on the socket, or 0 */
	__u32 tid;       /* its thread id, or 0 */
	__u32 unread;    /* received bytes not yet read (rcv_nxt-copied_seq) */
	__u8 saddr[16];  /* local address; IPv4 in the first 4 bytes */
	__u8 daddr[16];  /* remote address */
	__u16 sport;     /* local port, host byte order */
	__u16 dport;     /* remote port, host byte order */
	__u8 family;     /* 4 or 6 */
	__u8 kind;       /* enum trc_kind */
	__u8 oldstate;   /* TCP_* (Linux numbering); state at the time */
	__u8 newstate;   /* TCP_*; equals oldstate except for TRC_EV_STATE */
	__u8 in_task;    /* 1 when pid/comm is a process holding the socket */
	__u8 rst;        /* enum trc_rst for TRC_EV_RST_SENT */
	__u8 pad[6];
	char comm[TRC_COMM_LEN];
};

#endif /* FT_BPF_EVENT_H */
