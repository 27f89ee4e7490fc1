/* SPDX-License-Identifier: MIT */
/*
 * Owner of a socket from its inode, the way `ss -p` finds it: one pass over
 * /proc/PID/fd looking for links named "socket:[INODE]". The pid a
 * tracepoint sees in softirq context is not the owner; this is.
 */
#ifndef FT_BPF_OWNER_H
#define FT_BPF_OWNER_H

#include <stddef.h>
#include <stdint.h>

#define OWN_COMM_LEN 16

/* Filled by own_lookup() for each inode asked. pid 0: no process has it. */
struct own_result {
	uint64_t ino;                /* in: the socket inode */
	uint32_t pid;                /* out: first process holding it */
	uint32_t holders;            /* out: processes holding it */
	char comm[OWN_COMM_LEN];     /* out: that process's command name */
};

/*
 * Resolve res[0..n) in one scan of /proc. res[i].ino is read; the other
 * fields are written. Processes that vanish or cannot be read are
 * skipped. Returns the number of inodes resolved, or -errno when /proc
 * cannot be read. The scan reads at most max_fds descriptors per process.
 */
int own_lookup(struct own_result *res, size_t n);

/* The command name of pid into comm (OWN_COMM_LEN); 0 or -errno. */
int own_comm(uint32_t pid, char *comm);

#endif /* FT_BPF_OWNER_H */
