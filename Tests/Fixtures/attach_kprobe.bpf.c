/* A tracepoint and a kprobe: on a kernel without kprobes, attaching the
 * object fails as a whole and leaves nothing attached. */
#include <bpf_fixture.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u64);
    __type(value, __u64);
} exec_counts SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int count_exec(void *ctx) {
    __u64 key = bpf_get_current_pid_tgid(), one = 1;
    bpf_map_update_elem(&exec_counts, &key, &one, BPF_ANY);
    return 0;
}

SEC("kprobe/vfs_read")
int count_reads(void *ctx) {
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
