/* SPDX-License-Identifier: MIT */
/*
 * Command-line options of the packet modes (read, live): one struct filled
 * by opts_parse() from a const defaults struct. The parser never exits and
 * never prints; it returns -EINVAL with the message in err.
 */
#ifndef FT_CLI_OPTS_H
#define FT_CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/report.h"
#include "engine/pipeline.h"

#define FT_OPTS_ERRBUF 256
#define FT_OPTS_RFILES 256 /* -r FILE given at most this often */

struct ft_opts {
	enum rpt_format format;
	const char *output; /* -o FILE, NULL for standard output */
	const char *filter; /* pcap filter expression, or NULL */
	uint64_t linger_ns;
	uint64_t idle_ns;
	uint64_t grace_ns;
	uint64_t max_flows;       /* 0: unbounded */
	unsigned top;             /* worst flows listed */
	unsigned top_services;	  /* service rows listed, 0: all */
	unsigned top_clients;	  /* client-host rows listed, 0: all */
	unsigned fail_on;         /* bit per td_verdict */
	int list_open;
	/* TIME_WAIT pressure */
	uint64_t time_wait_ns; /* 2MSL of the active closer */
	uint16_t port_lo;      /* clients' ephemeral port range */
	uint16_t port_hi;
	unsigned tw_share; /* verdict at this share of the range, % */
	/* evidence capture and HTML report (read) */
	const char *evidence_file;  /* --evidence FILE, or NULL */
	unsigned evidence_verdicts; /* bit per td_verdict */
	uint64_t evidence_buffer;   /* bytes buffered from a pipe, at most */
	const char *report_file;    /* --report FILE.html, or NULL */
	/* --capture-end: 0 not given, 1 at capture_end_ns (ns since the
	 * epoch), 2 capture_end_ns after the first packet */
	int capture_end;
	uint64_t capture_end_ns;
	const char *metrics;	    /* --metrics ADDR:PORT (live, kernel) */
	uint64_t snapshot_ns;	    /* --snapshot-every, 0: none */
	const char *snapshot_file;  /* --snapshot-file, NULL: stdout */
	int force;		    /* --force: write into a used pack dir */
	unsigned threads;	    /* --threads (read), 0: the cores */
	int progress;		    /* -1 auto (a terminal), 0 off, 1 on */
	int local_time;		    /* --local-time: text and HTML times */
	/* read: -r FILE, in order (borrowed from argv) */
	const char *rfiles[FT_OPTS_RFILES];
	int nrfiles;
	int filter_after_dashdash; /* the filter came after "--" */
	int help;
	int version;
	/* live */
	const char *iface;
	const char *write_file; /* -w FILE */
	const char *user;	/* -Z USER */
	uint64_t duration_ns;
	uint64_t count;
	uint64_t interval_ns;
	unsigned snaplen;
	unsigned buffer_kib; /* --buffer-size MB or -B KiB, kept in KiB */
	int promisc;
	/* kernel */
	uint32_t pid;	  /* --pid, 0: any */
	uint32_t netns;	  /* --netns inode, 0: any */
	uint16_t port;	  /* --port, 0: any */
	uint8_t family;	  /* -4 / -6, 0: both */
	uint32_t ringbuf; /* --ringbuf-size bytes, 0: default */
	int no_seed;
	int verbose;
	int alert_each; /* a line per socket, not per group and interval */
	/* positional arguments (borrowed from argv) */
	char **args;
	int nargs;
	char filter_buf[1024]; /* filter joined from positional words */
};

extern const struct ft_opts ft_opts_defaults;

/* The packet engine's configuration from the options. */
void opts_pipeline_config(const struct ft_opts *o, struct pipeline_config *c);

/* Which options a mode takes. */
enum opts_mode {
	OPTS_READ = 0,
	OPTS_LIVE,
	OPTS_KERNEL,
	OPTS_COMPARE,
	OPTS__MODES
};

/*
 * Parse argv (argv[0] is the sub-command) into *o, starting from the
 * defaults. Returns 0, or -EINVAL with a one-line message in err
 * (FT_OPTS_ERRBUF bytes).
 */
int opts_parse(int argc, char **argv, enum opts_mode mode, struct ft_opts *o,
	       char *err);

/*
 * Parse a duration: "500ms", "5s", "2m", "1h", "1.5s", "250us", "10ns";
 * a bare number is seconds. Returns 0 or -EINVAL.
 */
int opts_parse_duration(const char *s, uint64_t *ns);

/*
 * Parse an unsigned integer in [lo, hi]; with suffix, a k or m after it
 * multiplies by 1024 or 1024*1024. Returns 0 or -EINVAL.
 */
int opts_parse_uint(const char *s, uint64_t lo, uint64_t hi, int suffix,
		    uint64_t *out);

/*
 * Parse a size: "256M", "64k", "1G" (powers of 1024); a bare number is
 * MiB. Returns 0 or -EINVAL.
 */
int opts_parse_size(const char *s, uint64_t *bytes);

/*
 * Parse an ISO 8601 UTC time, "2024-05-01T12:00:00Z" (fraction of a
 * second and the Z optional; a space for the T), into ns since the epoch.
 * Returns 0 or -EINVAL.
 */
int opts_parse_time(const char *s, uint64_t *wall_ns);

/* Parse "text", "json" or "csv". Returns 0 or -EINVAL. */
int opts_parse_format(const char *s, enum rpt_format *f);

/* Parse "LOW-HIGH" with 1 <= LOW <= HIGH <= 65535. Returns 0 or -EINVAL */
int opts_parse_range(const char *s, uint16_t *lo, uint16_t *hi);

/* Parse "never-closed,late-close" into a verdict bit mask. */
int opts_parse_verdicts(const char *s, unsigned *mask);

/*
 * fintrace read's inputs, as tcpdump users type them: the -r files, then
 * the positional arguments that are existing, readable files ("-" is
 * standard input; without -r the first argument is always an input);
 * the first argument that is not starts the filter, and it and every
 * word after it, joined by spaces, are the filter expression (unless the
 * filter came after "--": then every positional argument is an input).
 * Fills *files (caller frees; entries borrowed from argv) and *nfiles,
 * and o->filter (into o->filter_buf); *first_word is the argument that
 * started the filter, NULL when none did, and why (an errno) it is not a
 * readable file in *why. Returns 0, or -EINVAL with the message in err
 * (a usage error: -f and a filter after the files, a filter too long),
 * or -ENOMEM.
 */
int opts_read_inputs(struct ft_opts *o, char ***files, int *nfiles,
		     const char **first_word, int *why, char *err);

/* The usage text of a mode. */
const char *opts_usage(enum opts_mode mode);

#endif /* FT_CLI_OPTS_H */
