/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained page (inline CSS and SVG drawn here,
 * no script, no font, no request of any kind; a Content-Security-Policy
 * forbids them all) that can be mailed to a vendor and opened anywhere.
 *
 * It shows the headline verdict, the capture's facts, the number of
 * sockets in CLOSE_WAIT over time per service, a histogram of close-wait
 * times, the service and client-host tables, the worst flows with frame
 * numbers and a Wireshark display filter each, the TIME_WAIT section
 * (tw_write_html(), when html_meta.tw is set), and why a socket stays in
 * CLOSE_WAIT. The lists are bounded as the text report's are
 * (rpt_config.top, top_services, top_clients), each closed by a note
 * saying how many rows it leaves out.
 *
 * Every string that comes from the input or the command line (file and
 * interface names, pcapng comments, the command line) is HTML-escaped, and
 * invalid UTF-8 is replaced. Numbers are also in data-* attributes and
 * elements with stable ids, for tests and scripts that read the page.
 */
#ifndef FT_ANALYSIS_HTML_H
#define FT_ANALYSIS_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "analysis/report.h"

struct tw;

/* What an input says about itself (e.g. pcapng comments); borrowed. */
struct html_input {
	const char *name;	  /* file name, "-" or interface */
	const char *format;	  /* "pcap", "pcapng", or NULL */
	const char *const *notes; /* "comment: ...", "interface: eth0" */
	size_t nnotes;
};

struct html_meta {
	const char *command_line;	 /* as typed, words joined (borrowed) */
	const struct html_input *inputs; /* one per view input, or NULL */
	size_t ninputs;
	const char *generated; /* when the report was written (borrowed) */
	const struct tw *tw;   /* TIME_WAIT section (borrowed), or NULL */
};

/*
 * Write the page for the finished report v (rpt_get_view()) to f; m may
 * be NULL. Returns 0, or -EIO when a write failed.
 */
int html_write(FILE *f, const struct rpt_view *v, const struct html_meta *m);

/*
 * Write s HTML-escaped (& < > " ' and control characters; invalid UTF-8
 * as U+FFFD) to f. Exposed for tests.
 */
void html_escape(FILE *f, const char *s);

#endif /* FT_ANALYSIS_HTML_H */
