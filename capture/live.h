/* SPDX-License-Identifier: MIT */
/*
 * Live capture on libpcap: one interface ("any" for all of them, as Linux
 * cooked capture), a kernel-side filter that keeps only TCP (combined with
 * the user's expression), a large kernel buffer, nanosecond timestamps
 * when the platform has them, and a short buffer timeout so that packets
 * reach the caller within a tenth of a second. Optionally every packet
 * the caller takes is also written to a pcap file (-w).
 *
 * The handle is non-blocking: the caller waits with live_wait() (poll on
 * the capture's descriptor, interrupted by signals and by
 * live_breakloop()) and reads what is there with live_dispatch().
 *
 * Threads: libpcap's handle is not thread-safe. live_wait(),
 * live_dispatch(), live_get_stats() and the -w functions must be called
 * by one thread at a time (fintrace live calls them on its capture
 * thread, and after joining it on the main thread). live_breakloop() may
 * be called from any thread and from a signal handler; what live_open()
 * set and never changes (live_warning(), live_datalink(),
 * live_datalink_name(), live_iface()) may be read from any thread.
 */
#ifndef FT_CAPTURE_LIVE_H
#define FT_CAPTURE_LIVE_H

#include <stdint.h>

#include "capture/source.h" /* FT_ERRBUF_SIZE */

struct live_config {
	const char *iface;   /* interface name, "any" for all */
	const char *filter;  /* the user's pcap expression, or NULL */
	unsigned snaplen;    /* bytes kept per packet */
	unsigned buffer_kib; /* kernel capture buffer, KiB */
	unsigned timeout_ms; /* buffer timeout; 0 = immediate mode */
	int promisc;
};

/* One captured packet; data is borrowed, valid during the callback only */
struct live_packet {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t wall_ns; /* kernel timestamp, ns since the epoch */
};

/*
 * What the packet callback returns: 0 takes the packet (it is written to
 * the -w file) and asks for more; LIVE_SKIP leaves it out of the -w file;
 * LIVE_STOP delivers nothing more after it, ever (count reached, stop
 * time passed). The bits combine.
 */
#define LIVE_SKIP 0x1u
#define LIVE_STOP 0x2u

typedef unsigned (*live_packet_fn)(void *arg, const struct live_packet *pkt);

struct live_stats {
	uint64_t received;     /* packets that passed the kernel filter */
	uint64_t kernel_drops; /* dropped for lack of buffer space */
	uint64_t if_drops;     /* dropped by the interface or its driver */
	uint64_t delivered;    /* packets handed to the callback */
	uint64_t written;      /* packets written to the -w file */
};

struct live_cap;

/*
 * Open and activate the capture described by cfg (borrowed; strings need
 * not outlive the call). Returns NULL with errno set and a one-line cause
 * naming the interface in err (FT_ERRBUF_SIZE bytes): EPERM when the
 * process may not capture (or not in promiscuous mode), ENODEV for no
 * such interface, ENETDOWN when it is down, EINVAL for a filter that does
 * not compile, EPROTONOSUPPORT for a link type the decoder does not know,
 * EIO otherwise. Caller frees with live_free().
 */
struct live_cap *live_open(const struct live_config *cfg, char *err);

/* Warning from activation ("" when none), e.g. promiscuous mode refused */
const char *live_warning(const struct live_cap *c);

/* The capture's link type (DLT_* as pcap_datalink() returns it). */
int live_datalink(const struct live_cap *c);

/* The interface's name, as given to live_open(). */
const char *live_iface(const struct live_cap *c);

/* pcap's name of the link type, e.g. "EN10MB", "LINUX_SLL". */
const char *live_datalink_name(const struct live_cap *c);

/*
 * Write every packet taken from now on to path ("-": standard output), a
 * pcap file with this capture's link type, snap length and timestamp
 * precision. A new file gets mode 0600 and an existing regular file is
 * set to 0600: it holds other people's traffic. The file header is
 * flushed at once, so an unwritable destination fails here. Returns 0, or
 * -errno with "PATH: cause" in err.
 */
int live_write_open(struct live_cap *c, const char *path, char *err);

/*
 * Wait until packets may be ready, at most timeout_ms. Returns 1 when the
 * descriptor is readable, 0 on timeout, -EINTR when a signal came or
 * live_breakloop() was called (since the last wait), or another -errno.
 */
int live_wait(struct live_cap *c, unsigned timeout_ms);

/*
 * Hand at most max packets that are ready to fn (never blocks). Returns
 * the number of packets handed over (0 when none were ready or after
 * LIVE_STOP), or -errno with the cause in err: the capture failed
 * ("IFACE: cause") or a write to the -w file failed ("PATH: write error:
 * cause"). After an error no packet is delivered any more.
 */
int live_dispatch(struct live_cap *c, int max, live_packet_fn fn, void *arg,
		  char *err);

/*
 * Make the current live_dispatch() return early (the packets not handed
 * over yet stay for the next call) and the current or next live_wait()
 * return -EINTR; async-signal-safe, and callable from any thread.
 */
void live_breakloop(struct live_cap *c);

/*
 * Counters as of now (received, kernel and interface drops from the
 * kernel; delivered and written counted here). Returns 0, or -EIO with
 * the cause in err, *st then holding the last known values.
 */
int live_get_stats(struct live_cap *c, struct live_stats *st, char *err);

/* Flush the -w file. Returns 0 (also without one) or -errno, cause in err */
int live_write_flush(struct live_cap *c, char *err);

/*
 * Flush and close the -w file. Returns 0 (also without one) or -errno
 * with "PATH: write error: cause" in err, also when an earlier write had
 * failed.
 */
int live_write_close(struct live_cap *c, char *err);

/* Close the capture and the -w file (errors ignored); NULL is a no-op. */
void live_free(struct live_cap *c);

#endif /* FT_CAPTURE_LIVE_H */
