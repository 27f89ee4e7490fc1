/* SPDX-License-Identifier: MIT */
/*
 * fintrace states: explains each TCP state in the words of the people who
 * meet it in netstat or ss output, from the glossary in analysis/states.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analysis/states.h"
#include "analysis/verdict.h"
#include "cli/commands.h"

#define WIDTH 78
#define INDENT "             "

static const char usage[] =
	"usage: fintrace states [STATE]\n"
	"Explains the TCP states as netstat and ss show them: what each one\n"
	"means, who is waiting for whom, what a socket lingering in it points\n"
	"to, and the settings that bound it, then fintrace's verdicts. With\n"
	"STATE (CLOSE_WAIT, close-wait, FIN-WAIT-2, ESTAB...), only that\n"
	"one; with a verdict (never-closed, closing...), only its meaning.\n"
	"\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit: 0, 1 usage or unknown state.\n";

/* Print first, then text wrapped at WIDTH; continuation lines indented. */
static void wrap(FILE *f, const char *indent, const char *first,
		 const char *text)
{
	size_t col = strlen(first), ind = strlen(indent);
	const char *p = text;
	int space = 0;

	fputs(first, f);
	while (*p) {
		size_t w = strcspn(p, " ");

		/* "RFC 9293" stays on one line */
		if (w >= 3 && !strncmp(p + w - 3, "RFC ", 4))
			w += 1 + strcspn(p + w + 1, " ");

		if (space && col + 1 + w > WIDTH) {
			fprintf(f, "\n%s", indent);
			col = ind;
			space = 0;
		}
		if (space) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += w;
		space = 1;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void show(FILE *f, const struct st_state *s)
{
	char head[128];

	if (strcmp(s->name, s->ss_name))
		snprintf(head, sizeof(head), "%s (ss: %s): ", s->name,
			 s->ss_name);
	else
		snprintf(head, sizeof(head), "%s: ", s->name);
	wrap(f, INDENT, head, s->summary);
	wrap(f, INDENT, "  What:      ", s->meaning);
	wrap(f, INDENT, "  Waiting:   ", s->waiting);
	wrap(f, INDENT, "  Lingering: ", s->lingering);
	wrap(f, INDENT, "  Knobs:     ", s->knobs);
}

static void overview(FILE *f)
{
	static const char *const lines[] = {
		"TCP states as netstat and ss show them (RFC 9293, 3.3.2).",
		"",
		"Closing a connection (RFC 9293, 3.6): the side whose "
		"application calls",
		"close() first is the active closer; the other is the passive "
		"side.",
		"",
		"  active closer                         passive side",
		"  ESTABLISHED                           ESTABLISHED",
		"  close()  ---- FIN ------------------>",
		"  FIN_WAIT1                             CLOSE_WAIT  (until "
		"its "
		"application",
		"           <--- ACK -------------------              calls "
		"close())",
		"  FIN_WAIT2",
		"           <--- FIN -------------------  close()",
		"  TIME_WAIT                             LAST_ACK",
		"           ---- ACK ------------------>",
		"  (2 MSL)                               CLOSED",
		"  CLOSED",
		"",
		"A socket stays in CLOSE_WAIT for exactly as long as its "
		"application",
		"does not call close(): no timer ends it. That is the leak "
		"fintrace",
		"looks for.",
		"",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		fprintf(f, "%s\n", lines[i]);
}

/* One verdict of analysis/verdict.h: name, meaning, leak or not. */
static void show_verdict(FILE *f, enum vd_verdict v)
{
	const struct vd_info *vi = vd_info(v);
	char head[48];

	snprintf(head, sizeof(head), "  %-15s", vi->name);
	wrap(f, "                 ", head, vi->meaning);
	if (vi->leak)
		fputs("                 (a leak: what fintrace is "
		      "for; listed first)\n",
		      f);
}

static void verdicts(FILE *f)
{
	fputs("\nfintrace's verdicts, per connection (per socket in "
	      "fintrace kernel):\n",
	      f);
	for (int v = 0; v < VD__COUNT; v++)
		show_verdict(f, (enum vd_verdict)v);
}

int cmd_states(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct st_state *all;
	size_t n;
	int c, help = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			help = 1;
			continue;
		}
		fprintf(stderr, "fintrace states: unknown option %s\n",
			argv[optind - 1]);
		fprintf(stderr, "Try 'fintrace states --help'.\n");
		return FT_EXIT_USAGE;
	}
	if (help) {
		fputs(usage, stdout);
		return FT_EXIT_OK;
	}
	if (argc - optind > 1) {
		fprintf(stderr,
			"fintrace states: one state at a time "
			"(\"%s\" is extra)\n",
			argv[optind + 1]);
		return FT_EXIT_USAGE;
	}
	if (argc - optind == 1) {
		const struct st_state *s = st_find(argv[optind]);
		int v = vd_parse(argv[optind]);

		if (!s && v >= 0) {
			show_verdict(stdout, (enum vd_verdict)v);
			return fflush(stdout) ? FT_EXIT_INPUT : FT_EXIT_OK;
		}
		if (!s) {
			fprintf(stderr,
				"fintrace states: unknown TCP state \"%s\" "
				"(try 'fintrace states' for the list)\n",
				argv[optind]);
			return FT_EXIT_USAGE;
		}
		show(stdout, s);
		return fflush(stdout) ? FT_EXIT_INPUT : FT_EXIT_OK;
	}
	overview(stdout);
	all = st_all(&n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc('\n', stdout);
		show(stdout, &all[i]);
	}
	verdicts(stdout);
	return fflush(stdout) ? FT_EXIT_INPUT : FT_EXIT_OK;
}
