/* SPDX-License-Identifier: MIT */
/*
 * Live capture on libpcap; see live.h. The handle is created, configured
 * and activated in one go (pcap_create/pcap_activate), then switched to
 * non-blocking mode: the caller owns the waiting, so it can wake up on
 * time for alerts even when no packet arrives.
 */
#include "capture/live.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/decode.h"

/* A kernel counter that pcap keeps in 32 bits, widened to 64. */
struct live_counter {
	uint64_t total;
	unsigned last;
};

struct live_cap {
	pcap_t *p;
	int fd;
	int wake_fd; /* live_breakloop() ends a live_wait() with it */
	int dlt;
	int nano;
	char *iface;
	char warn[FT_ERRBUF_SIZE];
	/* -w file */
	pcap_dumper_t *dump;
	FILE *dump_fp;
	char *dump_path;
	int dump_errno; /* first failed write, 0 when none */
	/* state of the current live_dispatch() */
	live_packet_fn fn;
	void *arg;
	int batch;
	int stopped; /* the callback returned LIVE_STOP */
	int failed;  /* an error was returned */
	struct live_stats st;
	struct live_counter recv, drop, ifdrop;
};

static void counter_update(struct live_counter *c, unsigned now)
{
	/* Unsigned subtraction absorbs one wrap of the 32-bit counter. */
	c->total += (unsigned)(now - c->last);
	c->last = now;
}

static int activate_error(struct live_cap *c, int rc, int promisc, char *err)
{
	const char *why = pcap_geterr(c->p);

	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, FT_ERRBUF_SIZE, "%s: no such interface",
			 c->iface);
		return ENODEV;
	case PCAP_ERROR_PERM_DENIED:
		snprintf(err, FT_ERRBUF_SIZE,
			 "%s: permission denied to capture (%s)", c->iface,
			 why);
		return EPERM;
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(err, FT_ERRBUF_SIZE,
			 "%s: permission denied for promiscuous mode%s",
			 c->iface, promisc ? "" : " (not requested)");
		return EPERM;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, FT_ERRBUF_SIZE, "%s: interface is down",
			 c->iface);
		return ENETDOWN;
	default:
		snprintf(err, FT_ERRBUF_SIZE, "%s: %s", c->iface,
			 *why ? why : pcap_statustostr(rc));
		return EIO;
	}
}

static int set_filter(struct live_cap *c, const char *user, char *err)
{
	struct bpf_program prog;
	size_t len = (user ? strlen(user) : 0) + 16;
	char *expr = malloc(len);
	int rc = 0;

	if (!expr) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		return ENOMEM;
	}
	/* Only TCP is of use: let the kernel throw the rest away. */
	if (user && *user)
		snprintf(expr, len, "tcp and (%s)", user);
	else
		snprintf(expr, len, "tcp");
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, FT_ERRBUF_SIZE, "filter \"%s\": %s",
			 user ? user : "tcp", pcap_geterr(c->p));
		free(expr);
		return EINVAL;
	}
	if (pcap_setfilter(c->p, &prog)) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: cannot set the filter: %s",
			 c->iface, pcap_geterr(c->p));
		rc = EIO;
	}
	pcap_freecode(&prog);
	free(expr);
	return rc;
}

struct live_cap *live_open(const struct live_config *cfg, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct live_cap *c = NULL;
	uint64_t bytes = (uint64_t)cfg->buffer_kib << 10;
	int rc, e = EIO;

	err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (c)
		c->wake_fd = -1;
	if (!c || !(c->iface = strdup(cfg->iface))) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		e = ENOMEM;
		goto fail;
	}
	c->fd = -1;
	/* A signal interrupts only the thread it lands on: the capture
	 * may wait on another one, which this descriptor wakes. */
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		e = errno;
		snprintf(err, FT_ERRBUF_SIZE, "%s: eventfd: %s", cfg->iface,
			 strerror(e));
		goto fail;
	}
	c->p = pcap_create(cfg->iface, ebuf);
	if (!c->p) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: %.200s", cfg->iface, ebuf);
		goto fail;
	}
	if (pcap_set_snaplen(c->p, (int)cfg->snaplen) ||
	    pcap_set_promisc(c->p, cfg->promisc ? 1 : 0) ||
	    pcap_set_buffer_size(c->p,
				 bytes > INT_MAX ? INT_MAX : (int)bytes) ||
	    (cfg->timeout_ms ? pcap_set_timeout(c->p, (int)cfg->timeout_ms)
			     : pcap_set_immediate_mode(c->p, 1))) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: cannot configure: %s",
			 cfg->iface, pcap_geterr(c->p));
		goto fail;
	}
	/* Microseconds are the fallback where nanoseconds are unknown. */
	(void)pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		e = activate_error(c, rc, cfg->promisc, err);
		goto fail;
	}
	if (rc > 0)
		snprintf(c->warn, sizeof(c->warn), "%s: %s", cfg->iface,
			 rc == PCAP_WARNING ? pcap_geterr(c->p)
					    : pcap_statustostr(rc));
	c->nano = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
	c->dlt = pcap_datalink(c->p);
	if (!pkt_link_supported(c->dlt)) {
		const char *name = pcap_datalink_val_to_name(c->dlt);

		snprintf(err, FT_ERRBUF_SIZE,
			 "%s: link type %s (%d) is not supported", cfg->iface,
			 name ? name : "?", c->dlt);
		e = EPROTONOSUPPORT;
		goto fail;
	}
	e = set_filter(c, cfg->filter, err);
	if (e)
		goto fail;
	e = EIO;
	if (pcap_setnonblock(c->p, 1, ebuf)) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: %.200s", cfg->iface, ebuf);
		goto fail;
	}
	c->fd = pcap_get_selectable_fd(c->p);
	if (c->fd < 0) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "%s: capture has no descriptor to wait on",
			 cfg->iface);
		goto fail;
	}
	return c;
fail:
	live_free(c);
	errno = e;
	return NULL;
}

const char *live_warning(const struct live_cap *c)
{
	return c->warn;
}

int live_datalink(const struct live_cap *c)
{
	return c->dlt;
}

const char *live_iface(const struct live_cap *c)
{
	return c->iface;
}

const char *live_datalink_name(const struct live_cap *c)
{
	const char *name = pcap_datalink_val_to_name(c->dlt);

	return name ? name : "?";
}

static int write_error(struct live_cap *c, int e, char *err)
{
	if (err)
		snprintf(err, FT_ERRBUF_SIZE, "%s: write error: %s",
			 c->dump_path, strerror(e));
	return -e;
}

int live_write_open(struct live_cap *c, const char *path, char *err)
{
	struct stat sb;
	FILE *fp = NULL;
	int fd = -1, e;

	if (c->dump) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: a -w file is already open",
			 path);
		return -EBUSY;
	}
	c->dump_path = strdup(strcmp(path, "-") ? path : "standard output");
	if (!c->dump_path) {
		snprintf(err, FT_ERRBUF_SIZE, "out of memory");
		return -ENOMEM;
	}
	if (!strcmp(path, "-")) {
		fp = stdout;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			e = errno;
			snprintf(err, FT_ERRBUF_SIZE, "%s: %s", path,
				 strerror(e));
			return -e;
		}
		/* An existing file keeps its mode: narrow it. */
		if (!fstat(fd, &sb) && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 07777) != 0600 && fchmod(fd, 0600)) {
			e = errno;
			snprintf(err, FT_ERRBUF_SIZE,
				 "%s: cannot make it private (mode 0600): %s",
				 path, strerror(e));
			close(fd);
			return -e;
		}
		fp = fdopen(fd, "wb");
		if (!fp) {
			e = errno;
			snprintf(err, FT_ERRBUF_SIZE, "%s: %s", path,
				 strerror(e));
			close(fd);
			return -e;
		}
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 16);
	c->dump = pcap_dump_fopen(c->p, fp);
	if (!c->dump) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: %s", path,
			 pcap_geterr(c->p));
		if (fp != stdout)
			fclose(fp);
		return -EIO;
	}
	c->dump_fp = fp;
	/* A full disk or a dead pipe shows now, not after the capture. */
	errno = 0;
	if (pcap_dump_flush(c->dump) || ferror(fp)) {
		c->dump_errno = errno ? errno : EIO;
		return write_error(c, c->dump_errno, err);
	}
	return 0;
}

int live_wait(struct live_cap *c, unsigned timeout_ms)
{
	struct pollfd pfd[2] = {
		{.fd = c->fd, .events = POLLIN},
		{.fd = c->wake_fd, .events = POLLIN},
	};
	uint64_t v;
	int rc = poll(pfd, 2, timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms);

	if (rc < 0)
		return -errno;
	if (pfd[1].revents & POLLIN) {
		/* Reset it, or every wait would end at once from now on. */
		if (read(c->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
		return -EINTR;
	}
	return rc > 0;
}

static void on_pcap(u_char *user, const struct pcap_pkthdr *h,
		    const u_char *bytes)
{
	struct live_cap *c = (struct live_cap *)user;
	struct live_packet pkt;
	unsigned r;

	/* libpcap may hand over the rest of a buffer after a stop. */
	if (c->stopped || c->dump_errno)
		return;
	pkt.data = bytes;
	pkt.caplen = h->caplen;
	pkt.wirelen = h->len;
	pkt.wall_ns = (uint64_t)h->ts.tv_sec * 1000000000u +
		      (uint64_t)h->ts.tv_usec * (c->nano ? 1u : 1000u);
	r = c->fn(c->arg, &pkt);
	c->batch++;
	c->st.delivered++;
	if (c->dump && !(r & LIVE_SKIP)) {
		errno = 0;
		pcap_dump((u_char *)c->dump, h, bytes);
		if (ferror(c->dump_fp)) {
			c->dump_errno = errno ? errno : EIO;
			pcap_breakloop(c->p);
		} else {
			c->st.written++;
		}
	}
	if (r & LIVE_STOP) {
		c->stopped = 1;
		pcap_breakloop(c->p);
	}
}

int live_dispatch(struct live_cap *c, int max, live_packet_fn fn, void *arg,
		  char *err)
{
	int rc;

	if (c->stopped || c->failed)
		return 0;
	c->fn = fn;
	c->arg = arg;
	c->batch = 0;
	rc = pcap_dispatch(c->p, max, on_pcap, (u_char *)c);
	/* A break requested while no read was running ends this one at
	 * once: read what is there all the same. */
	if (rc == PCAP_ERROR_BREAK && !c->batch && !c->stopped &&
	    !c->dump_errno)
		rc = pcap_dispatch(c->p, max, on_pcap, (u_char *)c);
	if (c->dump_errno) {
		c->failed = 1;
		return write_error(c, c->dump_errno, err);
	}
	if (rc == PCAP_ERROR) {
		c->failed = 1;
		snprintf(err, FT_ERRBUF_SIZE, "%s: %s", c->iface,
			 pcap_geterr(c->p));
		return -EIO;
	}
	return c->batch;
}

void live_breakloop(struct live_cap *c)
{
	uint64_t one = 1;
	int e = errno; /* a signal handler must leave errno as it was */

	if (!c)
		return;
	pcap_breakloop(c->p);
	/* Fails only when the counter is full: a wake-up is pending. */
	if (write(c->wake_fd, &one, sizeof(one)) < 0)
		one = 0;
	errno = e;
}

int live_get_stats(struct live_cap *c, struct live_stats *st, char *err)
{
	struct pcap_stat ps;
	int rc = 0;

	if (pcap_stats(c->p, &ps)) {
		snprintf(err, FT_ERRBUF_SIZE, "%s: statistics: %s", c->iface,
			 pcap_geterr(c->p));
		rc = -EIO;
	} else {
		counter_update(&c->recv, ps.ps_recv);
		counter_update(&c->drop, ps.ps_drop);
		counter_update(&c->ifdrop, ps.ps_ifdrop);
		c->st.received = c->recv.total;
		c->st.kernel_drops = c->drop.total;
		c->st.if_drops = c->ifdrop.total;
	}
	*st = c->st;
	return rc;
}

int live_write_flush(struct live_cap *c, char *err)
{
	if (!c->dump)
		return 0;
	if (c->dump_errno)
		return write_error(c, c->dump_errno, err);
	errno = 0;
	if (pcap_dump_flush(c->dump) || ferror(c->dump_fp)) {
		c->dump_errno = errno ? errno : EIO;
		return write_error(c, c->dump_errno, err);
	}
	return 0;
}

int live_write_close(struct live_cap *c, char *err)
{
	int rc;

	if (!c->dump)
		return c->dump_errno ? write_error(c, c->dump_errno, err) : 0;
	rc = live_write_flush(c, err);
	pcap_dump_close(c->dump);
	c->dump = NULL;
	c->dump_fp = NULL;
	return rc;
}

void live_free(struct live_cap *c)
{
	if (!c)
		return;
	if (c->dump) {
		pcap_dump_flush(c->dump);
		pcap_dump_close(c->dump);
	}
	if (c->p)
		pcap_close(c->p);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c->dump_path);
	free(c->iface);
	free(c);
}
