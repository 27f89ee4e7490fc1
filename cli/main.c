/* SPDX-License-Identifier: MIT */
/*
 * fintrace: finds TCP sockets that were never closed. main() only picks
 * the sub-command; each one parses its own options and talks to the user.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

/* Sub-commands that are optional in a build are weak references. */
#pragma weak cmd_live
#pragma weak cmd_kernel
#pragma weak cmd_states

static const char usage[] =
	"usage: fintrace COMMAND [options]\n"
	"Finds TCP sockets that were never closed: which side never called\n"
	"close(), for which service, and how long its sockets lingered in\n"
	"CLOSE_WAIT.\n"
	"\n"
	"commands:\n"
	"  read FILE... [FILTER]\n"
	"                    analyse saved pcap/pcapng captures (also\n"
	"                    -r FILE; the filter as tcpdump takes it)\n"
	"  live -i IFACE     watch an interface, alert on lingering sockets\n"
	"  kernel            trace this host's TCP state changes with eBPF,\n"
	"                    naming the process that holds each socket\n"
	"  states [STATE]    explain the TCP states and what lingering means\n"
	"  compare BEFORE AFTER\n"
	"                    per service: fixed, still leaking or worse\n"
	"\n"
	"'fintrace COMMAND --help' describes a command's options.\n";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"read", cmd_read},
		{"live", cmd_live},
		{"kernel", cmd_kernel},
		{"states", cmd_states},
		{"compare", cmd_compare},
	};

	/* A closed pipe shows up as EPIPE on write, handled as a quiet end */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fputs(usage, stderr);
		return FT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return FT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("fintrace %s\n", FT_VERSION);
		return FT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (!cmds[i].fn) {
			fprintf(stderr,
				"fintrace: '%s' is not part of this build\n",
				argv[1]);
			return FT_EXIT_USAGE;
		}
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "fintrace: unknown command '%s'\n", argv[1]);
	fputs(usage, stderr);
	return FT_EXIT_USAGE;
}
