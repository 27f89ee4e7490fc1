/* SPDX-License-Identifier: MIT */
/*
 * Reports: aggregates finalised flows per service (server ip:port) and per
 * client host (for connections the server closed first and the client
 * left in CLOSE_WAIT), follows the number of sockets in CLOSE_WAIT over
 * time, and writes the text, JSON Lines or CSV report.
 *
 * Flow lines (JSON, CSV) are written as flows are finalised, so memory does
 * not grow with the number of flows; per-group close-wait percentiles are
 * exact up to RPT_EXACT_VALUES flows per group and estimated above that
 * from a fixed log histogram (8 buckets per doubling: within 6 % of the
 * true value). Groups are capped per side (RPT_GROUPS_MAX), so the
 * report's memory stops growing however long it runs.
 */
#ifndef FT_ANALYSIS_REPORT_H
#define FT_ANALYSIS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/flow.h"

#define RPT_EXACT_VALUES 128
#define RPT_TIMELINE 64
/*
 * The timeline's first bucket width, 1/512 s: it doubles (exactly: 3.9,
 * 7.8, 15.6, 31.25, 62.5, 125, 250, 500 ms, 1 s, 2 s...) until the
 * capture fits in RPT_TIMELINE buckets, so that a capture of a few
 * seconds draws a line of several buckets, and from 64 s on the widths
 * are whole seconds.
 */
#define RPT_TL_FIRST_NS (1000000000ull / 512)
#define RPT_GROUP_WORST 5 /* worst flows kept per group */
/*
 * Groups kept per side (services, client hosts, processes); past it, the
 * side's new groups count in one row named "other", so that the report
 * stays the same size however long it runs.
 */
#define RPT_GROUPS_MAX 16384

enum rpt_format { RPT_TEXT = 0, RPT_JSON, RPT_CSV };

/* Closing states whose time a socket record gives (kernel). */
enum rpt_clock {
	RPT_T_FIN_WAIT1 = 0,
	RPT_T_FIN_WAIT2,
	RPT_T_LAST_ACK,
	RPT_T_CLOSING,
	RPT_T_TIME_WAIT,
	RPT_T__COUNT
};

/*
 * What the kernel adds to a record (struct flow_record.sock): the socket
 * is this host's endpoint `local` ("client" or "server") of the flow.
 * Strings are borrowed for the call; NULL (or "" for comm) when unknown.
 */
struct rpt_sock {
	uint64_t cookie;
	uint64_t ino;
	uint64_t peer_cookie;    /* the peer's socket on this host, or 0 */
	uint32_t netns;
	uint32_t pid;            /* owner, 0 when unknown */
	const char *comm;
	const char *owner_from;  /* "connect", "accept", "task", "proc" */
	uint32_t closer_pid;     /* process that called close() */
	const char *closer_comm;
	const char *container;
	const char *state;       /* last TCP state: "CLOSE_WAIT"... */
	const char *local;       /* "client" or "server" */
	const char *passive;     /* "local", "remote", or NULL */
	const char *reset_cause; /* "unread-data"..., NULL */
	const char *signature;   /* a classic pattern, NULL */
	uint64_t time_in[RPT_T__COUNT]; /* ns in each closing state */
	uint64_t age_ns;
	uint32_t unread;         /* bytes unread at close() */
	uint8_t pre_existing;    /* already lingering when tracing began */
	uint8_t cw_at_least;     /* close-wait is a lower bound */
	uint8_t time_wait_sampled;
	uint8_t end_lost;        /* its end was lost with records */
	uint8_t counted;         /* its owner's process row has it already
				    (a clean count that moved, rpt_clean) */
};

struct rpt_config {
	enum rpt_format format;
	int sockets;           /* records are kernel sockets (kernel mode) */
	uint64_t linger_ns;
	unsigned top;	       /* worst flows listed in text and HTML */
	int list_open;         /* write flows with verdict "open" too */
	FILE *out;             /* borrowed */
	const char *mode;      /* "read", "live"... (borrowed) */
	/* Rows listed in text and HTML, worst first; 0: no bound. Quiet
	 * rows (see rpt_group_view.quiet) are never listed. JSON keeps
	 * every row. */
	unsigned top_services;
	unsigned top_clients;
	/* Groups kept per side; 0: RPT_GROUPS_MAX. */
	size_t max_groups;
	/* the filter expression the input went through (borrowed), or
	 * NULL: when no flow matched it, the headline says so */
	const char *filter;
	int local_time; /* text and HTML times in local time (TZ) */
};

/* A named counter of the input, e.g. {"not-tcp", 12} (borrowed strings) */
struct rpt_counter {
	const char *name;
	uint64_t value;
};

/* Facts about the input for the summary; everything is borrowed. */
struct rpt_facts {
	const char *const *inputs; /* file names or interfaces */
	size_t ninputs;
	uint64_t first_ns;         /* first packet, 0 when none */
	uint64_t last_ns;
	uint64_t packets;          /* frames read */
	uint64_t tcp_segments;     /* frames decoded as TCP */
	const struct rpt_counter *skipped; /* per reason, frames not used */
	size_t nskipped;
	uint64_t snapped;          /* TCP segments cut by the snap length */
	uint64_t drops;            /* capture drops (live), 0 offline */
	uint64_t queue_drops;      /* of drops, fintrace's own (live): its
				    * capture queue was full */
	const char *error;         /* input error that ended the read, or NULL */
	const struct flow_stats *flows;
	/* more named counters for the summary (kernel: events, lost...) */
	const struct rpt_counter *extra;
	size_t nextra;
	uint64_t lost_records;     /* kernel records lost (the text says what
				    * that means for the counts), 0 else */
};

struct rpt;

/* New report writer; cfg is copied. NULL with errno set on failure. */
struct rpt *rpt_new(const struct rpt_config *cfg);

/* Free everything; NULL is a no-op. */
void rpt_free(struct rpt *r);

/*
 * Set the capture's start (first packet time): origin of the offsets and
 * of the CLOSE_WAIT timeline. Call before the first flow is fed.
 */
void rpt_set_origin(struct rpt *r, uint64_t wall_ns);

/*
 * Whether the end of the observation that flows still open are finalised
 * at is its true end (pcapng interface statistics, --capture-end, live
 * mode stopping) or only the last packet seen. When it is not, a
 * close-wait running to the end is a lower bound and is written as one
 * ("at least", "close_wait_at_least"). Call before flows are finalised
 * at the end; unknown by default.
 */
void rpt_set_end_known(struct rpt *r, int known);

/*
 * The capture has dropped `drops` packets in total as of now_ns (live
 * mode). Flows whose lifetime overlaps a period with drops are marked
 * "lossy": a missing FIN or RST could change their verdict.
 */
void rpt_note_drops(struct rpt *r, uint64_t drops, uint64_t now_ns);

/* flow_hooks.done / flow_hooks.close_wait: pass r as ctx. */
void rpt_flow_done(void *r, const struct flow_record *rec);
void rpt_close_wait(void *r, const struct flow_key *key,
		    const struct td_flow *td, int delta, uint64_t now_ns);

/*
 * The same for a kernel socket (sock borrowed): also follows its owning
 * process's count of sockets in CLOSE_WAIT.
 */
void rpt_sock_close_wait(struct rpt *r, const struct flow_key *key,
			 const struct td_flow *td, const struct rpt_sock *sock,
			 int delta, uint64_t now_ns);

/*
 * Clean ends a kernel counted without a record each (kernel mode):
 * count sockets of the service addr:port, owned by pid (comm), closed
 * within linger; of them, cw_count[i] had a close-wait of about cw_ns[i]
 * (a histogram bucket's middle: the percentiles they join are
 * estimated). A server's close-waits count under its service, a
 * client's (the server closed first) under no client host: the counter
 * does not know the client's address. Everything is borrowed.
 */
struct rpt_clean {
	uint8_t family;	    /* SEG_IPV4 or SEG_IPV6, as in flow_key */
	uint8_t addr[16];   /* the service */
	uint16_t port;
	int server;	    /* 1: these sockets are the service's own */
	uint32_t pid;	    /* owner, 0 unknown */
	const char *comm;
	uint64_t count;
	const uint64_t *cw_ns;
	const uint64_t *cw_count;
	size_t ncw;
	/* 1: take count of them back from the totals and the service:
	 * they turned out to be sockets of their own, reported as such
	 * (with rpt_sock.counted: their owner's process row keeps them) */
	int moved;
};
void rpt_sock_clean(struct rpt *r, const struct rpt_clean *c);

/*
 * Write the rest of the report (text: all of it; JSON: service and summary
 * lines; CSV: nothing more) and flush. Returns 0, or -EIO when any write
 * of this report failed (disk full, closed pipe).
 */
int rpt_finish(struct rpt *r, const struct rpt_facts *facts);

/* Rows per side of a snapshot when --top-services/--top-clients is 0. */
#define RPT_SNAPSHOT_ROWS 100

/*
 * One snapshot of the report so far as a line of JSON to f (borrowed),
 * flushed: {"type":"snapshot","time","span", the summary's fields as of
 * x (its last_ns: now_ns), "in_close_wait" (sockets in CLOSE_WAIT now),
 * then "services", "hosts" and, for sockets, "processes": the rows of
 * each side with the most in CLOSE_WAIT now first, then as in the
 * report, at most top_services (top_clients) of them (RPT_SNAPSHOT_ROWS
 * when 0), each as its "service" or "process" line plus "in_close_wait",
 * and "services_more"... counting the rows left out}. The report goes
 * on. Returns 0, -ENOMEM, or -EIO when f failed.
 */
int rpt_snapshot(struct rpt *r, const struct rpt_facts *x, uint64_t now_ns,
		 FILE *f);

/*
 * What the evidence capture (--evidence) holds, for the summary; strings
 * are copied. A nonzero cut_flows says the streaming bound left flagged
 * flows out.
 */
#define RPT_EVIDENCE_FILES 8

struct rpt_evidence {
	const char *const *files; /* pcap files, one per link type */
	size_t nfiles;
	unsigned verdicts;      /* bit per td_verdict */
	uint64_t flows;         /* flagged flows written */
	uint64_t packets;
	uint64_t cut_flows;     /* flagged flows left out (buffer full) */
	uint64_t cut_packets;
	uint64_t buffer_bytes;  /* the bound (streaming), 0 for two passes */
	const char *error;      /* write error, or NULL */
};

/* Say what the evidence capture holds; call before rpt_finish(). */
void rpt_set_evidence(struct rpt *r, const struct rpt_evidence *ev);

/* Number of finalised flows with verdict v so far. */
uint64_t rpt_verdict_count(const struct rpt *r, enum vd_verdict v);

/* Write s to f as a JSON string: quoted, with " \ and control bytes
 * escaped. */
void rpt_json_string(FILE *f, const char *s);

/*
 * Formatting helpers shared by the modes. Each writes a NUL-terminated
 * string into buf (size n) and returns buf.
 */
char *rpt_fmt_iso(char *buf, size_t n, uint64_t wall_ns);

/*
 * wall_ns as rpt_fmt_iso() does, or with local non-zero in local time
 * (TZ) with its offset from UTC: "2026-11-26T17:01:04.385646000+05:30".
 * Returns buf.
 */
char *rpt_fmt_time(char *buf, size_t n, uint64_t wall_ns, int local);

/*
 * 1 when the report was given a filter (rpt_config.filter) and no flow
 * matched it: nothing was analysed.
 */
int rpt_no_flow_matched(const struct rpt *r);
char *rpt_fmt_duration(char *buf, size_t n, uint64_t ns);
char *rpt_fmt_endpoint(char *buf, size_t n, const uint8_t *addr,
		       uint8_t family, uint16_t port);

/*
 * A read-only picture of the finished report for other writers (the HTML
 * report), built by rpt_finish() and valid until rpt_free(). Groups come
 * worst first, as in the text report.
 */

/* Close-wait histogram: bin i holds values below rpt_hist_edges[i]. */
#define RPT_HIST_BINS 13
extern const uint64_t rpt_hist_edges[RPT_HIST_BINS - 1];

/* How a flow's close-wait ended, for the histogram's colours. */
enum rpt_cw_class {
	RPT_CW_IN_TIME = 0,  /* clean, half-close: closed within --linger */
	RPT_CW_LATE,         /* late-close */
	RPT_CW_NEVER,        /* never-closed: a lower bound */
	RPT_CW_OTHER,        /* reset and the rest */
	RPT_CW__CLASSES
};

struct rpt_group_view {
	char name[64];          /* service ip:port, client host address, or
				   process "pid 42 (comm)" */
	char toward[64];        /* client host: the service (first seen) */
	int client_side;        /* 0: a service; 1: a client host */
	int process;            /* 1: an owning process (kernel) */
	int toward_many;
	uint64_t flows;
	uint64_t verdicts[VD__COUNT];
	uint64_t client_leaks;
	uint64_t cw_count;      /* flows with a close-wait */
	uint64_t p50, p90, p99, max; /* ns, when cw_count */
	int sampled;            /* percentiles estimated (histogram) */
	uint64_t at_end;
	uint64_t oldest_at_end;
	uint64_t peak;
	uint64_t peak_offset_ns; /* from the capture start, when peak */
	double growth_per_hour;
	const uint32_t *timeline; /* nbuckets values (borrowed), or NULL */
	uint64_t worst[RPT_GROUP_WORST]; /* flow ids */
	unsigned nworst;
	/* Nothing to read in the row: no leak, no late close, nothing in
	 * CLOSE_WAIT at any time (and, for a service, no client leak). */
	int quiet;
	int listed; /* within the text and HTML bounds */
};

/* How many rows of one side the bounded writers list and leave out. */
struct rpt_cut {
	uint64_t rows; /* every row of the side (as in JSON) */
	uint64_t listed;
	uint64_t beyond; /* not quiet, past the bound */
	uint64_t quiet;	 /* not listed: quiet */
	unsigned top;	 /* the bound, 0: none */
};

struct rpt_flow_view {
	uint64_t id;
	enum vd_verdict verdict;
	char client[64];
	char server[64];
	uint64_t close_wait_ns;
	uint64_t first_frame;
	uint64_t last_frame;
	int at_end;
	int roles_inferred;
	int lossy;
	char filter[256];       /* Wireshark display filter; "" for sockets */
	char owner[64];         /* kernel: "pid 42 (comm)", "" otherwise */
	int remote;             /* kernel: the passive side is on another
				   host; close_wait_ns is unknown (0) */
	uint64_t fin_wait_ns;   /* with remote: this socket's FIN_WAIT2 */
};

struct rpt_view {
	const char *mode;
	char headline[512];
	uint64_t linger_ns;
	uint64_t origin_ns;
	uint64_t bucket_ns;     /* timeline bucket width */
	int nbuckets;
	uint64_t flows;
	uint64_t verdicts[VD__COUNT];
	uint64_t lossy_flows;
	const struct rpt_group_view *groups;
	size_t ngroups;
	const struct rpt_flow_view *worst; /* the --top worst flows */
	size_t nworst;
	struct rpt_cut worst_cut;    /* flows with a verdict listed there */
	struct rpt_cut services_cut; /* server rows */
	struct rpt_cut clients_cut;  /* client-host rows */
	struct rpt_cut processes_cut; /* process rows (kernel) */
	uint64_t hist[RPT_HIST_BINS][RPT_CW__CLASSES];
	/* copies of the facts given to rpt_finish() */
	const char *const *inputs; /* borrowed from the facts */
	size_t ninputs;
	uint64_t first_ns, last_ns, packets, tcp_segments, snapped, drops;
	uint64_t queue_drops;
	uint64_t lost_records; /* kernel */
	int end_known;	  /* last_ns is the true end (rpt_set_end_known) */
	int local_time;	  /* show times in local time (rpt_fmt_time) */
	int no_match;	  /* a filter was given and no flow matched it */
	int growth_known; /* enough capture for growth_per_hour */
	struct rpt_counter skipped[16];
	size_t nskipped;
	char error[256];        /* "" when none */
	struct flow_stats flow_stats;
	int has_flow_stats;
	int has_evidence;
	struct rpt_evidence evidence; /* strings point into the view */
};

/* What rpt_fmt_more() says is left out. */
enum rpt_more {
	RPT_MORE_SERVICES = 0,
	RPT_MORE_CLIENTS,
	RPT_MORE_FLOWS,
	RPT_MORE_PROCESSES
};

/*
 * The sentence for the rows of c that are not listed, e.g. "4086 more
 * client hosts not listed: 3687 past --top-clients 5, 399 with no leak and
 * nothing in CLOSE_WAIT (--format json lists all)", written into buf (size
 * n). verdicts (the report's counts) name the kinds of flows left out.
 * Returns buf, or NULL when nothing is left out.
 */
char *rpt_fmt_more(char *buf, size_t n, const struct rpt_cut *c,
		   enum rpt_more what, const uint64_t *verdicts);

/* The view of a finished report, or NULL before rpt_finish(). */
const struct rpt_view *rpt_get_view(const struct rpt *r);

#endif /* FT_ANALYSIS_REPORT_H */
