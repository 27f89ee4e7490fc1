/* SPDX-License-Identifier: MIT */
/*
 * Which container a process runs in, from its cgroup path.
 *
 * Container runtimes put each container in a cgroup whose name carries
 * the container's 64-hex id; Kubernetes puts each pod's containers under
 * a cgroup named after the pod's UID. /proc/PID/cgroup names the cgroup
 * of a process (cgroup v2: the line "0::/path"), so the path alone tells
 * the container and the pod, with no runtime API to ask:
 *
 *   systemd driver   /kubepods.slice/kubepods-<qos>.slice/
 *                    kubepods-<qos>-pod<uid_with_underscores>.slice/
 *                    <rt>-<64 hex>.scope
 *                    (guaranteed pods: no <qos> level; <rt>: docker,
 *                    cri-containerd, crio)
 *   cgroupfs driver  /kubepods/<qos>/pod<uid-with-dashes>/<64 hex>
 *                    (the runtime is not in the path)
 *   plain docker     /system.slice/docker-<64 hex>.scope, or
 *                    /docker/<64 hex> with the cgroupfs driver
 *   podman           .../libpod-<64 hex>.scope
 *   containerd on a  .../kubepods-<qos>-pod<uid>.slice:cri-containerd:<64 hex>
 *   systemd v1 host
 *
 * The innermost component that names a container wins; trailing
 * components the runtime adds inside the container's cgroup (crun's
 * "container") are skipped. Paths seen from inside a cgroup namespace
 * ("/../../kubepods-...") work the same way. The monitors of CRI-O and
 * podman (crio-conmon-*, libpod-conmon-*) are not containers.
 *
 * Pure but for ctr_read_pid(); no allocation.
 */
#ifndef FT_ANALYSIS_CONTAINER_H
#define FT_ANALYSIS_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#define CTR_ID_SIZE 65	     /* 64 hex and NUL */
#define CTR_SHORT_ID_SIZE 13 /* the 12 hex docker and crictl show */
#define CTR_POD_UID_SIZE 37  /* 8-4-4-4-12 with dashes, and NUL */

enum ctr_runtime {
	CTR_NONE = 0, /* not in a container */
	CTR_DOCKER,
	CTR_CONTAINERD, /* cri-containerd */
	CTR_CRIO,
	CTR_PODMAN,
	CTR_UNKNOWN, /* a container, runtime not in the path */
	CTR__RUNTIMES
};

struct ctr_info {
	enum ctr_runtime runtime;
	char id[CTR_ID_SIZE];		/* lower-case hex; "" if none */
	char pod_uid[CTR_POD_UID_SIZE]; /* with dashes; "" if not a pod */
};

/*
 * Parse one cgroup path ("/kubepods.slice/..."; not NUL-terminated:
 * len bytes). Fills *out, all empty when the path names no container and
 * no pod. Returns 1 when a container was found, 0 when not.
 */
int ctr_parse_path(const char *path, size_t len, struct ctr_info *out);

/*
 * Parse the text of /proc/PID/cgroup (len bytes, need not end in NUL):
 * the cgroup v2 line "0::" first, then the cgroup v1 lines in order; the
 * first line naming a container gives the result (and its pod), else the
 * first naming a pod.
 * Returns 1 (a container), 0 (none: out is empty but for a pod UID), or
 * -EINVAL when no line has the form "N:controllers:/path".
 */
int ctr_parse_cgroup(const char *text, size_t len, struct ctr_info *out);

/*
 * Read and parse proc/PID/cgroup; proc is the procfs mount ("/proc" when
 * NULL). Returns ctr_parse_cgroup()'s value, or -errno from open/read
 * (-ENOENT: the process is gone).
 */
int ctr_read_pid(const char *proc, uint32_t pid, struct ctr_info *out);

/* The first 12 hex of c's id, or "" when c has none. */
void ctr_short_id(const struct ctr_info *c, char out[CTR_SHORT_ID_SIZE]);

/* Stable names: "none", "docker", "containerd", "cri-o", "podman",
 * "unknown". */
const char *ctr_runtime_name(enum ctr_runtime rt);

#endif /* FT_ANALYSIS_CONTAINER_H */
