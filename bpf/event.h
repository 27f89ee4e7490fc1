/* SPDX-License-Identifier: MIT */
/*
 * What tracer.bpf.c shares with user space (tracer.c): the record sent
 * through the ring buffer, the per-socket state kept in socket-local
 * storage (a copy of which every record carries), and the key and value
 * of the per-CPU counters of clean ends. Fixed-width types only, no
 * pointers, explicit padding, so that both compilers agree on the layout.
 */
#ifndef FT_BPF_EVENT_H
#define FT_BPF_EVENT_H

#include <linux/types.h>

/* What happened to the socket. */
enum trc_kind {
	TRC_EV_STATE = 1,    /* inet_sock_set_state: oldstate -> newstate */
	TRC_EV_RST_SENT = 2, /* tcp_send_reset: this socket sent a RST */
	TRC_EV_RST_RECV = 3, /* tcp_receive_reset: this socket got a RST */
	TRC_EV_DESTROY = 4,  /* (no longer sent: CLOSE ends a socket) */
	TRC_EV_ACCEPT = 5,   /* (no longer sent: kept with the socket) */
	TRC_EV_LINGER = 6,   /* a scan found it in a closing state for at
				least the scan's threshold */
};

/* Why a record was lost: the index into the `lost` map. */
enum trc_lost_cause {
	TRC_LOST_FULL = 0,    /* the ring buffer had no room: user space
				 fell behind */
	TRC_LOST_REFUSED = 1, /* the ring had room, its reservation failed
				 (the kernel's lock gave up) */
	TRC_LOST_MAP = 2,     /* a clean end found the `clean` map full */
	TRC_LOST_N = 3,
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

/* trc_sk.role */
enum trc_role { TRC_ROLE_UNKNOWN = 0, TRC_ROLE_CLIENT, TRC_ROLE_SERVER };

/* trc_sk.owner_src: where owner_pid came from */
enum trc_src { TRC_SRC_NONE = 0, TRC_SRC_CONNECT, TRC_SRC_ACCEPT };

/* trc_sk.passive: who received the first FIN */
enum trc_side { TRC_SIDE_NONE = 0, TRC_SIDE_LOCAL, TRC_SIDE_REMOTE };

/* trc_sk.flags */
enum trc_sk_flag {
	TRC_SK_SENT = 1 << 0,  /* a record about it went out: so does its end */
	TRC_SK_MATCH = 1 << 1, /* it passed the filters */
	TRC_SK_LATE = 1 << 2,  /* left CLOSE_WAIT after the linger threshold */
	TRC_SK_RST = 1 << 3,   /* a reset was sent or received */
	TRC_SK_OWNED = 1 << 4, /* owner known (connect or accept) */
};

/*
 * Per-socket state, in socket-local storage from connect(), accept() or
 * the first closing state on, freed with the socket. Times are
 * CLOCK_MONOTONIC ns, 0 when the state was not (yet) entered.
 */
struct trc_sk {
	__u64 start_ns;	  /* connect() or accept() */
	__u64 cw_ns;	  /* entered CLOSE_WAIT */
	__u64 cw_end_ns;  /* left CLOSE_WAIT */
	__u64 fin_ns;	  /* entered FIN_WAIT1: this side closed first */
	__u64 fw2_ns;	  /* entered FIN_WAIT2 */
	__u64 state_ns;	  /* last state change */
	__u32 owner_pid;  /* tgid at connect() or accept() */
	__u32 closer_pid; /* tgid that called close()/shutdown() */
	char owner_comm[TRC_COMM_LEN];
	char closer_comm[TRC_COMM_LEN];
	__u8 role;	/* enum trc_role */
	__u8 owner_src; /* enum trc_src */
	__u8 flags;	/* enum trc_sk_flag */
	__u8 passive;	/* enum trc_side */
	__u8 pad[4];
};

/* trc_event.flags */
enum trc_ev_flag {
	TRC_EVF_SK = 1 << 0,	 /* sk holds the socket's storage */
	TRC_EVF_NO_SYN = 1 << 1, /* SYN_SENT -> CLOSE before any segment went
				    out: connect() failed locally */
};

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
	__u8 flags;	 /* enum trc_ev_flag */
	__u8 pad[5];
	char comm[TRC_COMM_LEN];
	struct trc_sk sk; /* valid with TRC_EVF_SK */
};

/*
 * Close-wait histogram: log2 buckets split in 4 (12.5 % wide). Values
 * 0-3 have a bucket each; v >= 4 with e = floor(log2 v) goes to
 * 4 * (e - 1) + the two bits after the leading one. The last bucket
 * takes everything from 2^40 ns (about 18 minutes) on.
 */
#define TRC_HIST_N 160

/* Clean ends of one (namespace, owner, service, role): the map key. */
struct trc_agg_key {
	__u32 netns;
	__u32 pid;     /* owner tgid, 0 unknown */
	__u16 port;    /* the service: local port of a server, remote
			  port of a client */
	__u8 family;   /* 4 or 6 */
	__u8 role;     /* enum trc_role; never unknown */
	__u8 addr[16]; /* the service's address */
};

/* Per CPU, cumulative since tracing began. */
struct trc_agg_val {
	__u64 clean; /* clean ends */
	__u64 cw_n;  /* of which passive, with a close-wait below */
	char comm[TRC_COMM_LEN];
	__u64 hist[TRC_HIST_N]; /* close-waits of the passive ones, ns */
};

/*
 * Per CPU (the `nest` map): the state change handle_set_state last began,
 * and the hook's runs handle_set_nested did because the kernel skipped
 * them for handle_set_state.
 */
struct trc_nest {
	__u64 sk;	/* the socket's address */
	__u32 newstate; /* its new state */
	__u32 pad;
	__u64 caught;
};

#endif /* FT_BPF_EVENT_H */
