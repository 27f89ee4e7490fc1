/* SPDX-License-Identifier: MIT */
/*
 * The few kernel types tracer.bpf.c reads, declared with
 * preserve_access_index so that every field access is a CO-RE relocation:
 * libbpf resolves names against the running kernel's BTF at load time, so
 * neither the layout below nor the build host's kernel matters. Only the
 * fields used are listed; their order and the padding are irrelevant.
 */
#ifndef FT_BPF_VMLINUX_MIN_H
#define FT_BPF_VMLINUX_MIN_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), \
			     apply_to = record)

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__u32 u6_addr32[4];
	} in6_u;
};

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

typedef struct {
	__s64 counter;
} atomic64_t;

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	atomic64_t skc_cookie;
};

typedef struct {
	int owned;
} socket_lock_t;

struct inode {
	unsigned long i_ino;
};

struct file {
	struct inode *f_inode;
	void *private_data;
};

struct sock;

struct socket {
	struct file *file;
	struct sock *sk;
};

struct sock {
	struct sock_common __sk_common;
	struct socket *sk_socket;
	socket_lock_t sk_lock;
	__u16 sk_protocol;
};

struct inet_sock {
	__be16 inet_sport;
};

struct tcp_sock {
	__u32 rcv_nxt;
	__u32 copied_seq;
	__u32 segs_out;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct task_struct {
	int pid;
	int tgid;
	struct files_struct *files;
};

struct sk_buff;
struct bpf_map;
struct seq_file;

/* Context of an iter/bpf_sk_storage_map program. */
struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct bpf_iter__bpf_sk_storage_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	struct sock *sk;
	void *value;
};

/* Layout of a syscalls/sys_exit_* tracepoint record (tracefs format). */
struct trace_event_raw_sys_exit {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	long id;
	long ret;
};

#pragma clang attribute pop

/* Values of enum sk_rst_reason; relocated with bpf_core_enum_value(). */
enum sk_rst_reason {
	SK_RST_REASON_NOT_SPECIFIED = 0,
	SK_RST_REASON_TCP_ABORT_ON_CLOSE = 11,
	SK_RST_REASON_TCP_ABORT_ON_LINGER = 12,
	SK_RST_REASON_TCP_ABORT_ON_MEMORY = 13,
	SK_RST_REASON_TCP_STATE = 14,
	SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT = 15,
	SK_RST_REASON_TCP_DISCONNECT_WITH_DATA = 16,
};

#endif /* FT_BPF_VMLINUX_MIN_H */
