/* SPDX-License-Identifier: MIT */
/*
 * Alerts of the watching modes (live, kernel), in one format: a socket
 * whose close-wait crossed --linger, and an alerted socket that finally
 * left CLOSE_WAIT. Sockets are grouped, by service (server ip:port, when
 * the server side lingers), by client host (when the client side does) or,
 * from the kernel, by owning process and service; a group gets at most
 * one "linger" line and one "closed" line per interval, naming how many
 * sockets crossed (or closed) since its previous line, how many of the
 * group are in CLOSE_WAIT now and the oldest close-wait. A group quiet for
 * an interval is reported promptly: its first crossing waits only hold_ns
 * for the crossings that come with it. With `each` every socket gets its
 * own line at once, in the same format plus the socket's fields.
 *
 * The module is pure: it takes events and writes lines to a FILE*; it
 * includes no pcap or bpf header. Times are wall-clock nanoseconds
 * (wall_ns); the caller converts the kernel's monotonic clock.
 */
#ifndef FT_ENGINE_ALERTS_H
#define FT_ENGINE_ALERTS_H

#include <stdint.h>
#include <stdio.h>

#define AL_COMM_LEN 16
/* How long the first crossing of a quiet group waits for company. */
#define AL_HOLD_NS (100 * (uint64_t)1000000)

enum al_group {
	AL_BY_SERVICE = 0, /* server ip:port: the server side lingers */
	AL_BY_HOST,	   /* client host: the client side lingers */
	AL_BY_PROCESS,	   /* kernel: owning process, its netns and service */
};

struct al_config {
	const char *mode;     /* "live" or "kernel": JSON "mode", text prefix
				 "fintrace MODE: " (borrowed) */
	int kernel;	      /* per-socket fields of the kernel (cookie,
				 netns) instead of packets' (flow id, frames) */
	int json;	      /* JSON Lines, else one line of text */
	int each;	      /* a line per socket, at once (--alert-each) */
	int local_time;	      /* text lines' times in local time (TZ);
				 JSON stays UTC */
	uint64_t linger_ns;   /* the threshold, for the text and JSON */
	uint64_t interval_ns; /* a group's lines at least this far apart;
				 0: 5 s */
	uint64_t hold_ns;     /* see AL_HOLD_NS; 0: no wait */
	FILE *out;	      /* borrowed; flushed after every line */
	/* Called before a line is written (e.g. to clear a status line on
	 * the same terminal); may be NULL. */
	void (*before_write)(void *ctx);
	void *ctx; /* borrowed */
};

/*
 * One socket, filled by the caller and borrowed for the call. It is
 * identified by (id, netns); its group is taken from `group` and the
 * fields that group names.
 */
struct al_sock {
	uint64_t id;		/* flow id (live) or socket cookie (kernel) */
	uint32_t netns;		/* kernel: namespace inode; live: 0 */
	uint8_t group;		/* enum al_group */
	uint8_t family;		/* 4 or 6 */
	uint8_t passive_client; /* 1: the client side is in CLOSE_WAIT */
	uint8_t at_least;	/* cw_start_ns is a lower bound */
	uint8_t pre_existing;	/* kernel: lingering when tracing began */
	uint8_t client[16];	/* the side that sent the SYN */
	uint8_t server[16];
	uint16_t client_port;
	uint16_t server_port; /* server ip:port is the service */
	uint32_t pid;	      /* AL_BY_PROCESS: owner, 0 unknown */
	char comm[AL_COMM_LEN];
	uint64_t cw_start_ns; /* entered CLOSE_WAIT, wall clock */
	uint64_t first_frame; /* live: the flow's first frame */
	uint64_t fin_frame;   /* live: the active closer's FIN, 0 unknown */
	/* al_closed() only */
	const char *closed_by; /* "fin", "rst", "peer-rst", "reused"; NULL
				  unknown (borrowed) */
	uint64_t close_frame;  /* live: the passive side's FIN or RST */
	uint32_t closer_pid;   /* kernel: who closed it, 0 unknown */
	char closer_comm[AL_COMM_LEN];
};

struct al;

/* New alert writer; c is copied. NULL with errno ENOMEM. */
struct al *al_new(const struct al_config *c);

/*
 * The alerts of a watching mode, as live and kernel mode configure them
 * from their options: mode "live" or "kernel" (borrowed; "kernel" gives
 * the kernel's per-socket fields), JSON lines into the report's stream
 * `report` (borrowed) when json, else text on stderr; --alert-each,
 * --linger, --interval; a quiet group's first crossing waits AL_HOLD_NS;
 * --local-time for text lines. before_write and ctx as in struct
 * al_config. NULL with errno ENOMEM.
 */
struct al *al_new_watch(const char *mode, int json, int each, int local_time,
			uint64_t linger_ns, uint64_t interval_ns,
			FILE *report, void (*before_write)(void *ctx),
			void *ctx);

/* Free everything (pending lines are dropped: al_flush() first). NULL is
 * a no-op. */
void al_free(struct al *a);

/*
 * s entered CLOSE_WAIT at s->cw_start_ns: it counts in its group's "in
 * CLOSE_WAIT now" and "oldest" until al_leave(). Entering again moves it
 * (e.g. to a new owner). Returns 0, or -ENOMEM (then it is not counted).
 */
int al_enter(struct al *a, const struct al_sock *s);

/* s (by id and netns) left CLOSE_WAIT, or is no longer followed. Unknown
 * sockets are ignored. */
void al_leave(struct al *a, const struct al_sock *s);

/*
 * s's close-wait crossed the threshold at now_ns. With `each`, its line is
 * written now; else it counts in its group's next "linger" line. Returns
 * 0, or -ENOMEM (the crossing is lost).
 */
int al_linger(struct al *a, const struct al_sock *s, uint64_t now_ns);

/*
 * s, after crossing, left CLOSE_WAIT at now_ns (its close-wait: now_ns -
 * s->cw_start_ns). As al_linger(), for the group's "closed" line.
 */
int al_closed(struct al *a, const struct al_sock *s, uint64_t now_ns);

/*
 * Write the grouped lines that are due at now_ns. Returns when the next
 * one is due (wall ns), UINT64_MAX when none is pending: the caller wakes
 * up then (or at its own next tick).
 */
uint64_t al_tick(struct al *a, uint64_t now_ns);

/* End of the observation: write every pending line now. */
void al_flush(struct al *a, uint64_t now_ns);

/* Lines written so far. */
uint64_t al_lines(const struct al *a);

/* Stable names: "service", "host", "process". */
const char *al_group_name(enum al_group g);

#endif /* FT_ENGINE_ALERTS_H */
