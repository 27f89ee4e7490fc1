/* SPDX-License-Identifier: MIT */
/*
 * Sub-commands of the fintrace executable. main() picks one by name and
 * hands it the remaining arguments (argv[0] is the sub-command's name).
 * Each returns the process exit status: 0 analysed, 1 usage error,
 * 2 input/capture error, 3 a --fail-on verdict was seen, 4 a filter
 * was given and no flow matched it (read, live).
 */
#ifndef FT_CLI_COMMANDS_H
#define FT_CLI_COMMANDS_H

#define FT_EXIT_OK 0
#define FT_EXIT_USAGE 1
#define FT_EXIT_INPUT 2
#define FT_EXIT_FAIL_ON 3
#define FT_EXIT_NO_MATCH 4

int cmd_read(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_states(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#endif /* FT_CLI_COMMANDS_H */
