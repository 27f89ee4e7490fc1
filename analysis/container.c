/* SPDX-License-Identifier: MIT */
/*
 * Container id, runtime and pod UID from cgroup paths.
 */
#include "analysis/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ID_LEN 64
#define UID_LEN 36

/* A slice of the path: one component or part of one. */
struct span {
	const char *p;
	size_t n;
};

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int all_hex(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_hex(p[i]))
			return 0;
	return 1;
}

static int has_prefix(struct span s, const char *pre)
{
	size_t n = strlen(pre);

	return s.n >= n && memcmp(s.p, pre, n) == 0;
}

static int has_suffix(struct span s, const char *suf)
{
	size_t n = strlen(suf);

	return s.n >= n && memcmp(s.p + s.n - n, suf, n) == 0;
}

static int equals(struct span s, const char *str)
{
	return s.n == strlen(str) && memcmp(s.p, str, s.n) == 0;
}

static const struct {
	const char *prefix; /* before "<64 hex>" */
	enum ctr_runtime rt;
} scopes[] = {
	{"docker-", CTR_DOCKER},
	{"cri-containerd-", CTR_CONTAINERD},
	{"crio-", CTR_CRIO},
	{"libpod-", CTR_PODMAN},
	/* containerd's systemd naming on cgroup v1 hosts: slice:rt:id */
	{":cri-containerd:", CTR_CONTAINERD},
	{":docker:", CTR_DOCKER},
	{":crio:", CTR_CRIO},
};

/*
 * The runtime of a component that names a container, with its id in
 * *id; CTR_NONE when it names none. parent_docker: the component above
 * is "docker" (docker's cgroupfs driver).
 */
static enum ctr_runtime container_of(struct span c, int parent_docker,
				     const char **id)
{
	size_t i, n;

	if (has_suffix(c, ".scope"))
		c.n -= strlen(".scope");
	if (c.n < ID_LEN || !all_hex(c.p + c.n - ID_LEN, ID_LEN))
		return CTR_NONE;
	*id = c.p + c.n - ID_LEN;
	if (c.n == ID_LEN)
		return parent_docker ? CTR_DOCKER : CTR_UNKNOWN;
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		n = strlen(scopes[i].prefix);
		if (c.n - ID_LEN < n ||
		    memcmp(*id - n, scopes[i].prefix, n) != 0)
			continue;
		/* "docker-" must start the component; ":rt:" follows a
		 * slice name */
		if (scopes[i].prefix[0] != ':' && c.n != n + ID_LEN)
			continue;
		return scopes[i].rt;
	}
	return CTR_NONE;
}

/* "pod" + 8-4-4-4-12 hex with '-' or '_' at p; copies it with dashes. */
static int pod_uid_at(const char *p, size_t n, char *out)
{
	static const size_t dash[] = {8, 13, 18, 23};
	char uid[UID_LEN + 1];
	size_t i, d = 0;

	if (n < 3 + UID_LEN || memcmp(p, "pod", 3) != 0)
		return 0;
	p += 3;
	for (i = 0; i < UID_LEN; i++) {
		if (d < 4 && i == dash[d]) {
			if (p[i] != '-' && p[i] != '_')
				return 0;
			uid[i] = '-';
			d++;
		} else if (is_hex(p[i])) {
			uid[i] = p[i];
		} else {
			return 0;
		}
	}
	uid[UID_LEN] = '\0';
	memcpy(out, uid, sizeof(uid));
	return 1;
}

/*
 * The pod UID a component carries: "pod<uid>" (cgroupfs driver) or
 * "kubepods[-<qos>]-pod<uid>.slice" (systemd driver), the latter also
 * before ":rt:id" on cgroup v1 hosts.
 */
static int pod_of(struct span c, char *out)
{
	const char *colon = memchr(c.p, ':', c.n);
	const char *pod;

	if (colon)
		c.n = (size_t)(colon - c.p);
	if (c.n == 3 + UID_LEN)
		return pod_uid_at(c.p, c.n, out);
	if (!has_prefix(c, "kubepods") || !has_suffix(c, ".slice"))
		return 0;
	c.n -= strlen(".slice");
	if (c.n < 4 + UID_LEN)
		return 0;
	pod = c.p + c.n - (3 + UID_LEN);
	if (pod[-1] != '-')
		return 0;
	return pod_uid_at(pod, 3 + UID_LEN, out);
}

int ctr_parse_path(const char *path, size_t len, struct ctr_info *out)
{
	struct span comp[64];
	const char *p = path, *end = path + len, *slash, *id = NULL;
	size_t n = 0, i;
	int found = 0;

	memset(out, 0, sizeof(*out));
	/* split on '/'; a path deeper than comp keeps its last levels */
	while (p < end) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (!slash)
			slash = end;
		if (slash > p) {
			if (n == sizeof(comp) / sizeof(comp[0])) {
				memmove(comp, comp + 1,
					(n - 1) * sizeof(comp[0]));
				n--;
			}
			comp[n].p = p;
			comp[n++].n = (size_t)(slash - p);
		}
		p = slash + 1;
	}
	for (i = n; i-- > 0 && !found;) {
		if (has_prefix(comp[i], "crio-conmon-") ||
		    has_prefix(comp[i], "libpod-conmon-"))
			break; /* the monitor, beside the container */
		out->runtime = container_of(
			comp[i], i > 0 && equals(comp[i - 1], "docker"), &id);
		if (out->runtime != CTR_NONE) {
			memcpy(out->id, id, ID_LEN);
			out->id[ID_LEN] = '\0';
			found = 1;
		}
		/* the pod is at or above the container */
	}
	for (i = n; i-- > 0;)
		if (pod_of(comp[i], out->pod_uid))
			break;
	return found;
}

int ctr_parse_cgroup(const char *text, size_t len, struct ctr_info *out)
{
	const char *p = text, *end = text + len, *nl, *c1, *c2;
	struct ctr_info best, cur;
	int pass, lines = 0, found = 0;

	memset(&best, 0, sizeof(best));
	/* pass 0: the unified (v2) line; pass 1: the v1 lines */
	for (pass = 0; pass < 2 && !found; pass++) {
		for (p = text; p < end && !found; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end;
			c1 = memchr(p, ':', (size_t)(nl - p));
			c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1))
				: NULL;
			if (!c2 || c1 == p || c2 + 1 >= nl || c2[1] != '/')
				continue;
			lines++;
			if ((pass == 0) !=
			    (c1 - p == 1 && *p == '0' && c2 == c1 + 1))
				continue;
			found = ctr_parse_path(c2 + 1, (size_t)(nl - c2 - 1),
					       &cur);
			if (found || (!best.pod_uid[0] && cur.pod_uid[0]))
				best = cur;
		}
	}
	*out = best;
	if (!lines)
		return -EINVAL;
	return found;
}

int ctr_read_pid(const char *proc, uint32_t pid, struct ctr_info *out)
{
	char path[256], buf[8192];
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%u/cgroup", proc ? proc : "/proc",
		 pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* procfs hands the file out in one read, but do not rely on it */
	while (len < sizeof(buf) &&
	       (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			close(fd);
			return ret;
		}
		len += (size_t)n;
	}
	close(fd);
	return ctr_parse_cgroup(buf, len, out);
}

void ctr_short_id(const struct ctr_info *c, char out[CTR_SHORT_ID_SIZE])
{
	snprintf(out, CTR_SHORT_ID_SIZE, "%.12s", c->id);
}

const char *ctr_runtime_name(enum ctr_runtime rt)
{
	static const char *const names[CTR__RUNTIMES] = {
		"none", "docker", "containerd", "cri-o", "podman", "unknown",
	};

	return (unsigned)rt < CTR__RUNTIMES ? names[rt] : "none";
}
