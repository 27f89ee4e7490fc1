/* SPDX-License-Identifier: MIT */
/*
 * Containers from cgroup paths: the systemd and cgroupfs drivers of
 * Kubernetes, every QoS class, plain docker, podman, cgroup v1 lines,
 * paths seen through a cgroup namespace, and paths that name no
 * container (sessions, services, conmon); reading /proc/PID/cgroup.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/container.h"

#define ID "3f4c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b"
#define ID2 "0000000000000000000000000000000000000000000000000000000000000001"
#define UID "1c2b3a4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d"
#define UID_ "1c2b3a4d_5e6f_4a1b_8c9d_0e1f2a3b4c5d"

struct path_case {
	const char *path;
	enum ctr_runtime rt;
	const char *id;	 /* "" for none */
	const char *pod; /* "" for none */
};

static const struct path_case cases[] = {
	/* systemd driver, three QoS classes and three runtimes */
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/cri-containerd-" ID ".scope",
	 CTR_CONTAINERD, ID, UID},
	{"/kubepods.slice/kubepods-besteffort.slice/"
	 "kubepods-besteffort-pod" UID_ ".slice/crio-" ID ".scope",
	 CTR_CRIO, ID, UID},
	{"/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope",
	 CTR_DOCKER, ID, UID},
	/* crun puts the processes one level below the scope */
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/crio-" ID ".scope/container",
	 CTR_CRIO, ID, UID},
	/* seen from inside a cgroup namespace */
	{"/../../kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID
	 ".scope",
	 CTR_CONTAINERD, ID, UID},
	/* cgroupfs driver: the runtime is not in the path */
	{"/kubepods/besteffort/pod" UID "/" ID, CTR_UNKNOWN, ID, UID},
	{"/kubepods/burstable/pod" UID "/" ID, CTR_UNKNOWN, ID, UID},
	{"/kubepods/pod" UID "/" ID, CTR_UNKNOWN, ID, UID},
	/* the pod's own cgroup: a pod, no container */
	{"/kubepods/burstable/pod" UID, CTR_NONE, "", UID},
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice",
	 CTR_NONE, "", UID},
	/* containerd with the systemd driver on a cgroup v1 host */
	{"/system.slice/containerd.service/kubepods-burstable-pod" UID_
	 ".slice:cri-containerd:" ID,
	 CTR_CONTAINERD, ID, UID},
	/* plain docker, both drivers; docker in docker: the inner one */
	{"/system.slice/docker-" ID ".scope", CTR_DOCKER, ID, ""},
	{"/docker/" ID, CTR_DOCKER, ID, ""},
	{"/docker/" ID2 "/docker/" ID, CTR_DOCKER, ID, ""},
	/* podman, system and rootless */
	{"/machine.slice/libpod-" ID ".scope", CTR_PODMAN, ID, ""},
	{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID
	 ".scope/container",
	 CTR_PODMAN, ID, ""},
	/* not containers */
	{"/", CTR_NONE, "", ""},
	{"/init.scope", CTR_NONE, "", ""},
	{"/user.slice/user-1000.slice/session-3.scope", CTR_NONE, "", ""},
	{"/user.slice/user-1000.slice/user@1000.service/app.slice/"
	 "app-gnome-firefox-4242.scope",
	 CTR_NONE, "", ""},
	{"/system.slice/docker.service", CTR_NONE, "", ""},
	{"/system.slice/containerd.service", CTR_NONE, "", ""},
	{"/system.slice/sshd.service", CTR_NONE, "", ""},
	{"/machine.slice/libpod-conmon-" ID ".scope", CTR_NONE, "", ""},
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/crio-conmon-" ID ".scope",
	 CTR_NONE, "", UID},
	/* near misses: short id, upper case, unknown prefix, bad UID */
	{"/system.slice/docker-" ID "0.scope", CTR_NONE, "", ""},
	{"/system.slice/docker-3F4C1B2A9E8D7C6B5A4F3E2D1C0B9A8F7E6D5C4B3A2F1E0D"
	 "9C8B7A6F5E4D3C2B.scope",
	 CTR_NONE, "", ""},
	{"/system.slice/docker-3f4c1b2a9e8d.scope", CTR_NONE, "", ""},
	{"/system.slice/mydocker-" ID ".scope", CTR_NONE, "", ""},
	{"/kubepods/burstable/pod1c2b3a4d-5e6f-4a1b-8c9d-0e1f2a3b4c5", CTR_NONE,
	 "", ""},
	{"/kubepods/burstable/pod1c2b3a4dx5e6f-4a1b-8c9d-0e1f2a3b4c5d",
	 CTR_NONE, "", ""},
};

Test(container, path_forms)
{
	struct ctr_info c;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *k = &cases[i];

		ret = ctr_parse_path(k->path, strlen(k->path), &c);
		cr_assert_eq(ret, k->id[0] != '\0', "%s", k->path);
		cr_assert_eq(c.runtime, k->rt, "%s: %s", k->path,
			     ctr_runtime_name(c.runtime));
		cr_assert_str_eq(c.id, k->id, "%s", k->path);
		cr_assert_str_eq(c.pod_uid, k->pod, "%s", k->path);
	}
}

Test(container, path_not_nul_terminated)
{
	char buf[300];
	struct ctr_info c;
	size_t len;

	len = (size_t)snprintf(buf, sizeof(buf),
			       "/system.slice/docker-%s.scope", ID);
	/* the rest of the buffer would make it another path */
	strcpy(buf + len, "/libpod-" ID2 ".scope");
	cr_assert_eq(ctr_parse_path(buf, len, &c), 1);
	cr_assert_str_eq(c.id, ID);
	cr_assert_eq(c.runtime, CTR_DOCKER);
}

Test(container, cgroup_file_v2)
{
	static const char text[] =
		"0::/kubepods.slice/kubepods-besteffort.slice/"
		"kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID
		".scope\n";
	struct ctr_info c;
	char s[CTR_SHORT_ID_SIZE];

	cr_assert_eq(ctr_parse_cgroup(text, strlen(text), &c), 1);
	cr_assert_str_eq(c.id, ID);
	cr_assert_str_eq(c.pod_uid, UID);
	cr_assert_str_eq(ctr_runtime_name(c.runtime), "containerd");
	ctr_short_id(&c, s);
	cr_assert_str_eq(s, "3f4c1b2a9e8d");
}

Test(container, cgroup_file_v1_and_hybrid)
{
	/* cgroup v1 only: the first controller line with a container */
	static const char v1[] = "12:pids:/docker/" ID "\n"
				 "11:cpu,cpuacct:/docker/" ID "\n"
				 "1:name=systemd:/docker/" ID "\n";
	/* hybrid: the unified line names a session; v1 lines the container */
	static const char hybrid[] =
		"12:memory:/kubepods/burstable/pod" UID "/" ID "\n"
		"1:name=systemd:/kubepods/burstable/pod" UID "/" ID "\n"
		"0::/user.slice/user-0.slice/session-1.scope\n";
	/* a v2 line that names the container wins over v1 lines */
	static const char both[] = "1:name=systemd:/docker/" ID2 "\n"
				   "0::/system.slice/docker-" ID ".scope\n";
	struct ctr_info c;

	cr_assert_eq(ctr_parse_cgroup(v1, strlen(v1), &c), 1);
	cr_assert_str_eq(c.id, ID);
	cr_assert_eq(c.runtime, CTR_DOCKER);
	cr_assert_eq(ctr_parse_cgroup(hybrid, strlen(hybrid), &c), 1);
	cr_assert_str_eq(c.id, ID);
	cr_assert_str_eq(c.pod_uid, UID);
	cr_assert_eq(c.runtime, CTR_UNKNOWN);
	cr_assert_eq(ctr_parse_cgroup(both, strlen(both), &c), 1);
	cr_assert_str_eq(c.id, ID);
}

Test(container, cgroup_file_without_container)
{
	static const char session[] =
		"0::/user.slice/user-1000.slice/session-2.scope\n";
	static const char pod_only[] = "0::/kubepods/pod" UID "\n";
	static const char junk[] = "hello\nworld: x\n\n";
	struct ctr_info c;
	char s[CTR_SHORT_ID_SIZE];

	cr_assert_eq(ctr_parse_cgroup(session, strlen(session), &c), 0);
	cr_assert_str_eq(c.id, "");
	cr_assert_eq(c.runtime, CTR_NONE);
	ctr_short_id(&c, s);
	cr_assert_str_eq(s, "");
	cr_assert_eq(ctr_parse_cgroup(pod_only, strlen(pod_only), &c), 0);
	cr_assert_str_eq(c.pod_uid, UID);
	/* no trailing newline is fine */
	cr_assert_eq(ctr_parse_cgroup(session, strlen(session) - 1, &c), 0);
	cr_assert_eq(ctr_parse_cgroup(junk, strlen(junk), &c), -EINVAL);
	cr_assert_eq(ctr_parse_cgroup("", 0, &c), -EINVAL);
}

Test(container, runtime_names)
{
	cr_assert_str_eq(ctr_runtime_name(CTR_NONE), "none");
	cr_assert_str_eq(ctr_runtime_name(CTR_DOCKER), "docker");
	cr_assert_str_eq(ctr_runtime_name(CTR_CRIO), "cri-o");
	cr_assert_str_eq(ctr_runtime_name(CTR_PODMAN), "podman");
	cr_assert_str_eq(ctr_runtime_name(CTR_UNKNOWN), "unknown");
	cr_assert_str_eq(ctr_runtime_name((enum ctr_runtime)99), "none");
}

Test(container, read_pid)
{
	char dir[] = "/tmp/ft-proc-XXXXXX", path[128];
	struct ctr_info c;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/4242", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/4242/cgroup", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "0::/system.slice/docker-%s.scope\n", ID);
	fclose(f);
	cr_assert_eq(ctr_read_pid(dir, 4242, &c), 1);
	cr_assert_str_eq(c.id, ID);
	cr_assert_eq(ctr_read_pid(dir, 4243, &c), -ENOENT);
	cr_assert_str_eq(c.id, "");
	unlink(path);
	snprintf(path, sizeof(path), "%s/4242", dir);
	rmdir(path);
	rmdir(dir);

	/* this process: a real file, whatever it says */
	cr_assert_geq(ctr_read_pid(NULL, (uint32_t)getpid(), &c), 0);
}
