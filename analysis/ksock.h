/* SPDX-License-Identifier: MIT */
/*
 * Kernel-side socket tracker: the analysis half of `fintrace kernel`.
 * It turns kernel events (TCP state changes, resets, accepts, socket
 * destruction), sockets found already lingering at start-up and timewait
 * samples into per-socket times and verdicts, and aggregates them per
 * owning process and per service. It does no I/O and includes no BPF or
 * libbpf header: tests feed it hand-built events.
 *
 * A socket is keyed by (network namespace inode, socket cookie), so the
 * same 4-tuple in two namespaces never merges. Each socket is one endpoint:
 * when both ends run on this host, both appear. Times are CLOCK_MONOTONIC
 * nanoseconds (mono_ns). TCP states use Linux numbering (RFC 9293, 3.3.2
 * names: CLOSE_WAIT is the passive side waiting for its application's
 * close()).
 */
#ifndef FT_ANALYSIS_KSOCK_H
#define FT_ANALYSIS_KSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/verdict.h"

#define KS_COMM_LEN 16

/* include/net/tcp_states.h */
enum ks_tcp {
	KS_TCP_ESTABLISHED = 1,
	KS_TCP_SYN_SENT = 2,
	KS_TCP_SYN_RECV = 3,
	KS_TCP_FIN_WAIT1 = 4,
	KS_TCP_FIN_WAIT2 = 5,
	KS_TCP_TIME_WAIT = 6,
	KS_TCP_CLOSE = 7,
	KS_TCP_CLOSE_WAIT = 8,
	KS_TCP_LAST_ACK = 9,
	KS_TCP_LISTEN = 10,
	KS_TCP_CLOSING = 11,
	KS_TCP_NEW_SYN_RECV = 12,
};

enum ks_kind {
	KS_EV_STATE = 1,    /* oldstate -> newstate */
	KS_EV_RST_SENT = 2, /* this socket sent a RST (rst says why) */
	KS_EV_RST_RECV = 3, /* this socket received a RST */
	KS_EV_DESTROY = 4,  /* the full socket was freed */
	KS_EV_ACCEPT = 5,   /* accept() returned it to pid */
	KS_EV_LINGER = 6,   /* found in a closing state (newstate) for at
			       least the threshold; carries its history */
};

/* ks_event.flags */
enum ks_ev_flag {
	KS_EVF_HISTORY = 1 << 0, /* the history fields below are filled */
	KS_EVF_NO_SYN = 1 << 1,	 /* SYN_SENT -> CLOSE before any segment was
				    sent: connect() failed locally */
};

/* Why a RST was sent. */
enum ks_rst {
	KS_RST_NONE = 0,
	KS_RST_OTHER,
	KS_RST_UNREAD,    /* close() with unread received data */
	KS_RST_ABORT,     /* SO_LINGER 0 close or other abort */
	KS_RST_MEMORY,
	KS_RST_KEEPALIVE,
	KS_RST_LINGER2,
};

/* One kernel event, as the tracer reports it. Caller-filled. */
struct ks_event {
	uint64_t mono_ns;
	uint64_t cookie;
	uint64_t ino;          /* socket inode, 0 when unknown */
	uint32_t netns;
	uint32_t pid;          /* meaningful only when in_task */
	uint32_t unread;       /* rcv_nxt - copied_seq (counts a FIN) */
	uint8_t laddr[16];     /* IPv4 in the first 4 bytes */
	uint8_t raddr[16];
	uint16_t lport;        /* 0 when the kernel already cleared it */
	uint16_t rport;
	uint8_t family;        /* 4 or 6 */
	uint8_t kind;          /* enum ks_kind */
	uint8_t oldstate;      /* state before; for non-state events: now */
	uint8_t newstate;
	uint8_t in_task;       /* pid/comm belong to a process holding it */
	uint8_t rst;           /* enum ks_rst, KS_EV_RST_SENT only */
	char comm[KS_COMM_LEN];
	uint8_t flags; /* enum ks_ev_flag */
	/*
	 * With KS_EVF_HISTORY, what the kernel kept with the socket: the
	 * changes before this one are replayed from it (0: not entered).
	 */
	uint8_t role;	    /* enum ks_role: connect() or accept() seen */
	uint8_t owner_src;  /* KS_SRC_CONNECT or KS_SRC_ACCEPT */
	uint8_t passive;    /* enum ks_side */
	uint64_t start_ns;  /* connect() or accept() */
	uint64_t cw_ns;	    /* entered CLOSE_WAIT */
	uint64_t cw_end_ns; /* left it for LAST_ACK */
	uint64_t fin_ns;    /* entered FIN_WAIT1 */
	uint64_t fw2_ns;    /* entered FIN_WAIT2 */
	uint32_t owner_pid;
	uint32_t closer_pid; /* called close()/shutdown() */
	char owner_comm[KS_COMM_LEN];
	char closer_comm[KS_COMM_LEN];
};

/* A socket found by the start-up dump (sock_diag). Caller-filled. */
struct ks_seed {
	uint64_t cookie;
	uint64_t ino;
	uint32_t netns;
	uint8_t family;
	uint8_t state;         /* CLOSE_WAIT or FIN_WAIT2 */
	uint8_t timewait;      /* 1: an orphan FIN_WAIT2 (timewait socket) */
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint32_t owner_pid;    /* from /proc, 0 when unknown */
	char owner_comm[KS_COMM_LEN];
};

/* One timewait socket of a periodic sample. Caller-filled. */
struct ks_tw {
	uint64_t cookie;
	uint32_t netns;
	uint32_t expires_ms;   /* timer left */
	uint8_t substate;      /* FIN_WAIT2 (orphan) or TIME_WAIT */
};

enum ks_side { KS_SIDE_NONE = 0, KS_SIDE_LOCAL, KS_SIDE_REMOTE };
enum ks_role { KS_ROLE_UNKNOWN = 0, KS_ROLE_CLIENT, KS_ROLE_SERVER };
enum ks_phase {
	KS_PHASE_NONE = 0,
	KS_PHASE_BEFORE_FIN, /* before any FIN */
	KS_PHASE_AFTER_FIN,  /* after a FIN */
	KS_PHASE_LATE_FIN,   /* answering a late FIN */
};
/* Where the owner came from. */
enum ks_src {
	KS_SRC_NONE = 0,
	KS_SRC_CONNECT, /* the process that called connect() */
	KS_SRC_ACCEPT,  /* the process accept() returned it to */
	KS_SRC_TASK,    /* a process acting on it (close, shutdown) */
	KS_SRC_PROC,    /* found holding it in /proc/PID/fd */
};

/* Clocks of the closing states. */
enum ks_clock {
	KS_T_CLOSE_WAIT = 0,
	KS_T_FIN_WAIT1,
	KS_T_FIN_WAIT2,
	KS_T_LAST_ACK,
	KS_T_CLOSING,
	KS_T_TIME_WAIT,
	KS_T__COUNT
};

/*
 * One socket. Read-only for callers: pointers handed out are borrowed and
 * valid until the next ks_* call that changes the table.
 */
struct ks_sock {
	uint64_t cookie;
	uint32_t netns;
	uint64_t ino;
	uint8_t family;
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint8_t state;         /* last TCP state of the full socket, or the
				  timewait substate once in a timewait sock */
	uint8_t role;          /* enum ks_role (roles inferred: role_inferred) */
	uint8_t role_inferred;
	uint8_t passive;       /* enum ks_side: who got the first FIN */
	uint8_t verdict;       /* enum vd_verdict */
	uint8_t final;         /* 1: verdict settled */
	uint8_t rst_by;        /* enum ks_side */
	uint8_t rst_phase;     /* enum ks_phase */
	uint8_t rst_cause;     /* enum ks_rst */
	uint8_t pre_existing;  /* already lingering when tracing began */
	uint8_t cw_at_least;   /* CLOSE_WAIT began before it was seen: the
				  close-wait is a lower bound */
	uint8_t timewait;      /* 1: full socket gone, timewait sock alive */
	uint8_t tw_seen;       /* timewait found by a sample */
	uint8_t alerted;       /* crossed the linger threshold */
	uint8_t closed;        /* full socket reached CLOSE */
	uint8_t end_lost;      /* gone from the kernel, its end never seen
				  (records lost): verdict "open" */
	uint8_t counted;       /* an orphan the kernel had counted clean
				  under its owner: that count moved here,
				  the owner's process keeps it */
	uint64_t first_ns;     /* first event (or tracing start if seeded) */
	uint64_t state_ns;     /* entered state */
	uint64_t closed_ns;    /* full socket reached CLOSE */
	uint64_t cw_start_ns;  /* entered CLOSE_WAIT (seeded: tracing start) */
	uint64_t close_wait_ns;/* time in CLOSE_WAIT, once it ended */
	uint64_t t[KS_T__COUNT];/* time in each closing state, ended periods */
	uint64_t tw_enter_ns;  /* timewait sock took over */
	uint64_t tw_tw_ns;     /* estimated entry into TIME_WAIT proper */
	uint64_t tw_last_ns;   /* last sample that saw it */
	uint64_t tw_expires_ns;/* when its timer fires, from the last sample */
	uint8_t tw_sub;        /* last sampled substate, 0 unknown */
	uint32_t unread;       /* bytes unread when the application closed */
	uint32_t owner_pid;    /* 0 unknown */
	uint8_t owner_src;     /* enum ks_src */
	char owner_comm[KS_COMM_LEN];
	uint32_t closer_pid;   /* process that called close()/shutdown() */
	char closer_comm[KS_COMM_LEN];
	const char *signature; /* static text naming a classic pattern */
	uint64_t peer_cookie;  /* the other end's socket, when it is on this
				  host (same namespace, reversed 4-tuple) and
				  known; 0 otherwise */
	uint8_t no_syn;	       /* connect() failed before a SYN went out */
};

enum ks_alert {
	KS_ALERT_LINGER = 1, /* CLOSE_WAIT just crossed the threshold */
	KS_ALERT_CLOSED,     /* an alerted socket left CLOSE_WAIT */
};

/* s is borrowed for the call. */
typedef void (*ks_alert_fn)(void *ctx, enum ks_alert what,
			    const struct ks_sock *s, uint64_t now_ns);

/*
 * Aggregates kept per kind (processes, services); past it, the new ones
 * of a kind share one aggregate, pid 0 and comm "other".
 */
#define KS_AGGS_MAX 16384
/*
 * Settled sockets that were not clean (leaks, resets...) kept for the
 * list after they ended, newest first; older ones are forgotten
 * (on_forget) like clean ones. keep_clean keeps everything.
 */
#define KS_SETTLED_MAX 4096

struct ks_clean;

struct ks_opts {
	uint64_t linger_ns;    /* close-wait above this is late (0: 5 s) */
	size_t max_aggs;       /* per kind; 0: KS_AGGS_MAX */
	size_t max_settled;    /* 0: KS_SETTLED_MAX */
	uint64_t start_ns;     /* when tracing began (mono) */
	int keep_clean;        /* 1: keep clean sockets for the flow list */
	ks_alert_fn on_alert;  /* may be NULL */
	void *ctx;             /* borrowed, passed to every hook */
	/* s entered (delta +1) or left (-1) CLOSE_WAIT at now_ns; may be
	 * NULL. s is borrowed for the call. */
	void (*on_close_wait)(void *ctx, const struct ks_sock *s, int delta,
			      uint64_t now_ns);
	/* s, settled, is about to be forgotten (not kept for the list):
	 * the last moment to report it. May be NULL. */
	void (*on_forget)(void *ctx, const struct ks_sock *s);
	/* clean ends the kernel counted (ks_add_clean), once added: the
	 * report's only sight of them; or (c->moved) some of them taken
	 * back, now sockets of their own. May be NULL. c is borrowed. */
	void (*on_clean)(void *ctx, const struct ks_clean *c);
};

struct ks_table;

/* New empty tracker; o is copied. NULL with errno ENOMEM. */
struct ks_table *ks_new(const struct ks_opts *o);

/* Free the tracker and every socket. NULL is a no-op. */
void ks_free(struct ks_table *t);

/* Feed one event (borrowed). 0, or -ENOMEM (event dropped, counted). */
int ks_feed(struct ks_table *t, const struct ks_event *ev);

/*
 * Close-wait histogram of clean ends (the kernel's, bpf/event.h): log2
 * buckets split in 4; bucket i holds values from ks_hist_lo(i) to
 * ks_hist_lo(i + 1) - 1.
 */
#define KS_HIST_N 160
uint64_t ks_hist_lo(unsigned i);
/* The value bucket i stands for: the middle of its range. */
uint64_t ks_hist_mid(unsigned i);

/* Clean ends counted by the kernel, not sent one by one. Caller-filled. */
struct ks_clean {
	uint32_t netns;
	uint32_t pid; /* owner, 0 unknown */
	char comm[KS_COMM_LEN];
	uint8_t family;
	uint8_t role; /* KS_ROLE_SERVER: addr:port is local;
			 KS_ROLE_CLIENT: the remote service */
	uint8_t addr[16];
	uint16_t port;
	uint64_t count;		  /* clean ends since the last call */
	uint64_t hist[KS_HIST_N]; /* close-waits of the passive ones */
	/* (on_clean only) 1: count ends counted before that turned out to
	 * be sockets of their own (orphans found by a dump), taken back
	 * from the service; pid and comm are unknown, hist is zero */
	uint8_t moved;
};

/*
 * Add clean ends (c borrowed) to the totals, their service and their
 * process: counts and close-wait percentiles, as if each had been fed.
 * 0 or -ENOMEM.
 */
int ks_add_clean(struct ks_table *t, const struct ks_clean *c);

/* An orphan FIN_WAIT2 (timewait) socket found by a dump. Caller-filled. */
struct ks_orphan {
	uint64_t cookie;
	uint32_t netns;
	uint8_t family;
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint64_t since_ns; /* entered FIN_WAIT2 (estimated) */
};

/*
 * Follow an orphan FIN_WAIT2 socket: its application closed, and its
 * peer had not answered with a FIN by since_ns. Blame by side: when the
 * peer is on this host the peer carries the verdict and this one ends
 * clean, naming it (peer_cookie); otherwise the remote end never closed
 * (passive remote), counted under the remote service and not under a
 * process. The kernel had counted its own close as clean: that count
 * moves to this socket. 0, -EEXIST (already followed) or -ENOMEM.
 */
int ks_orphan(struct ks_table *t, const struct ks_orphan *o);

/* Add a socket that was lingering before tracing. 0, -EEXIST or -ENOMEM. */
int ks_seed(struct ks_table *t, const struct ks_seed *s);

/*
 * A timewait sample taken at now_ns in every namespace that
 * ks_tw_netns() named: the timewait sockets found (borrowed, any order).
 * Tracked timewait sockets not in it have ended.
 */
void ks_tw_sample(struct ks_table *t, uint64_t now_ns, const struct ks_tw *v,
		  size_t n);

/* Namespaces with timewait sockets to sample (up to max). Returns count. */
size_t ks_tw_netns(const struct ks_table *t, uint32_t *netns, size_t max);

/* A socket the kernel still has. Caller-filled. */
struct ks_ref {
	uint64_t cookie;
	uint32_t netns;
	uint32_t zero;
};

/* Namespaces with sockets the tracker believes open (up to max). */
size_t ks_live_netns(const struct ks_table *t, uint32_t *netns, size_t max);

/*
 * After lost records: alive[0..n) (borrowed) lists every full socket the
 * kernel has, at dump time now_ns, in the namespaces ks_live_netns()
 * named. A socket the tracker believes open, quiet for at least quiet_ns,
 * and not in the list ended unseen: it leaves CLOSE_WAIT, gets end_lost
 * and the verdict "open". Returns how many were found gone.
 */
size_t ks_reconcile(struct ks_table *t, uint64_t now_ns, uint64_t quiet_ns,
		    const struct ks_ref *alive, size_t n);

/*
 * Socket inodes whose owner should be looked up in /proc: sockets in
 * CLOSE_WAIT not yet resolved there. Up to max into inos; returns count.
 */
size_t ks_owner_wanted(const struct ks_table *t, uint64_t *inos, size_t max);

/* The process holding socket inode ino (pid 0: none found). */
void ks_set_owner(struct ks_table *t, uint64_t ino, uint32_t pid,
		  const char *comm);

/*
 * Advance time: fires KS_ALERT_LINGER for sockets whose close-wait reached
 * the threshold and samples the CLOSE_WAIT counts for growth rates.
 */
void ks_tick(struct ks_table *t, uint64_t now_ns);

/* Earliest time a socket will cross the threshold; UINT64_MAX if none. */
uint64_t ks_next_alert_ns(const struct ks_table *t);

/*
 * End of tracing at now_ns: settles the verdict of every socket (still in
 * CLOSE_WAIT: never-closed; fewer than linger in: closing). An active
 * closer (FIN_WAIT1/2, TIME_WAIT) has called close(): when its peer is on
 * this host, the peer carries the verdict and it is clean; otherwise the
 * verdict is the remote end's (passive remote). Call once, before the
 * final report.
 */
void ks_finish(struct ks_table *t, uint64_t now_ns);

/* Sockets process pid holds in CLOSE_WAIT now (0: unknown owner). */
uint64_t ks_process_close_wait(const struct ks_table *t, uint32_t pid);

/* Totals for the status line and the summary. */
struct ks_totals {
	uint64_t events;        /* fed */
	uint64_t dropped;       /* events dropped for lack of memory */
	uint64_t sockets;       /* sockets seen */
	uint64_t tracked;       /* sockets in the table now */
	uint64_t pre_existing;  /* seeded at start */
	uint64_t in_close_wait; /* now */
	uint64_t peak_close_wait;
	uint64_t oldest_cw_ns;  /* age of the oldest CLOSE_WAIT now */
	uint64_t in_timewait;   /* timewait sockets followed now */
	uint64_t end_lost;      /* sockets whose end was lost (ks_reconcile) */
	uint64_t verdicts[VD__COUNT]; /* settled verdicts */
};
void ks_totals(const struct ks_table *t, uint64_t now_ns,
	       struct ks_totals *out);

enum ks_group { KS_BY_PROCESS = 0, KS_BY_SERVICE };

/* One process or service. Filled by ks_groups(). */
struct ks_agg {
	uint8_t group;          /* enum ks_group */
	uint32_t pid;           /* process: owner pid (0: owner unknown) */
	char comm[KS_COMM_LEN];
	uint32_t netns;         /* service: namespace, family, ip:port */
	uint8_t family;
	uint8_t role;           /* service: KS_ROLE_SERVER (local ip:port) or
				   KS_ROLE_CLIENT (remote ip:port served) */
	uint8_t addr[16];
	uint16_t port;
	uint64_t sockets;
	uint64_t verdicts[VD__COUNT];
	uint64_t never_closed;  /* never-closed with the local side passive */
	uint64_t late_close;    /* late-close with the local side passive */
	uint64_t cw_samples;    /* close-waits measured (local passive) */
	uint64_t cw_p50, cw_p90, cw_p99, cw_max; /* ns; lingering ones count
						   with their age so far */
	uint64_t cw_now;        /* in CLOSE_WAIT now */
	uint64_t cw_peak;       /* most in CLOSE_WAIT at once */
	uint64_t oldest_cw_ns;  /* age of the oldest in CLOSE_WAIT now */
	double growth_per_hour; /* least-squares slope of cw_now over time */
};

/*
 * Every process or service, worst first (most in CLOSE_WAIT, then most
 * never-closed, then longest close-wait). *out is malloc'ed: caller frees.
 * Returns the count, or -ENOMEM.
 */
long ks_groups(const struct ks_table *t, enum ks_group g, uint64_t now_ns,
	       struct ks_agg **out);

/*
 * Sockets for the flow list, worst first: in CLOSE_WAIT (oldest first),
 * then by verdict severity and close-wait. Clean ones only with
 * keep_clean. *out is a malloc'ed array of borrowed pointers: caller frees
 * the array only. Returns the count, or -ENOMEM.
 */
long ks_list(const struct ks_table *t, const struct ks_sock ***out);

/* Call fn for every socket the table still holds, in no order. */
void ks_foreach(const struct ks_table *t,
		void (*fn)(void *ctx, const struct ks_sock *s), void *ctx);

/* Age of s's CLOSE_WAIT at now_ns (so far, or final), 0 if never in it. */
uint64_t ks_close_wait(const struct ks_sock *s, uint64_t now_ns);

/* Time s spent in closing state c (ended periods plus the current one). */
uint64_t ks_time_in(const struct ks_sock *s, enum ks_clock c, uint64_t now_ns);

/* Stable lower-case names: "never-closed", "local", "after-fin"... */
const char *ks_side_name(enum ks_side s);
const char *ks_role_name(enum ks_role r);
const char *ks_phase_name(enum ks_phase p);
const char *ks_rst_name(enum ks_rst r);
const char *ks_src_name(enum ks_src s);
const char *ks_state_name(unsigned state);
const char *ks_clock_name(enum ks_clock c);

#endif /* FT_ANALYSIS_KSOCK_H */
