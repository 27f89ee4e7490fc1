// SPDX-License-Identifier: MIT
/*
 * Socket inode -> owning process, through /proc/PID/fd. See owner.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/owner.h"

/* Descriptors read per process: bounds the scan of a huge fd table. */
#define OWN_MAX_FDS (1u << 20)

static int cmp_ino(const void *a, const void *b)
{
	const struct own_result *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int own_comm(uint32_t pid, char *comm)
{
	char path[64];
	ssize_t len;
	int fd, ret = 0;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, comm, OWN_COMM_LEN - 1);
	if (len < 0) {
		ret = -errno;
		len = 0;
	}
	comm[len] = '\0';
	if (len > 0 && comm[len - 1] == '\n')
		comm[len - 1] = '\0';
	close(fd);
	return ret;
}

/* Parse "socket:[123]"; 0 when the link is not a socket. */
static uint64_t socket_ino(const char *link)
{
	unsigned long long ino;
	char *end;

	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	errno = 0;
	ino = strtoull(link + 8, &end, 10);
	if (errno || *end != ']')
		return 0;
	return ino;
}

static void scan_pid(uint32_t pid, struct own_result *res, size_t n,
		     int *found)
{
	char path[64], link[64];
	struct own_result key, *hit;
	struct dirent *de;
	unsigned count = 0;
	ssize_t len;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL && count++ < OWN_MAX_FDS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%u/fd/%.20s", pid,
			 de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		key.ino = socket_ino(link);
		if (!key.ino)
			continue;
		hit = bsearch(&key, res, n, sizeof(*res), cmp_ino);
		if (!hit)
			continue;
		/* duplicates are adjacent after sorting: mark every copy */
		while (hit > res && hit[-1].ino == key.ino)
			hit--;
		for (; hit < res + n && hit->ino == key.ino; hit++) {
			if (hit->holders++ == 0) {
				hit->pid = pid;
				own_comm(pid, hit->comm);
				(*found)++;
			}
		}
	}
	closedir(d);
}

int own_lookup(struct own_result *res, size_t n)
{
	struct dirent *de;
	char *end;
	unsigned long pid;
	int found = 0;
	size_t i;
	DIR *d;

	for (i = 0; i < n; i++) {
		res[i].pid = 0;
		res[i].holders = 0;
		res[i].comm[0] = '\0';
	}
	if (!n)
		return 0;
	qsort(res, n, sizeof(*res), cmp_ino);
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL && (size_t)found < n) {
		errno = 0;
		pid = strtoul(de->d_name, &end, 10);
		if (errno || *end || !pid)
			continue;
		scan_pid((uint32_t)pid, res, n, &found);
	}
	closedir(d);
	return found;
}
