/* Programs for the auto-attach tests: one per section convention that this
 * kernel can attach, each counting its runs per thread (key: pid_tgid) in
 * its own map. */
#include <bpf_fixture.h>

#define COUNTER(name)                               \
    struct {                                        \
        __uint(type, BPF_MAP_TYPE_HASH);            \
        __uint(max_entries, 1024);                  \
        __type(key, __u64);                         \
        __type(value, __u64);                       \
    } name SEC(".maps")

COUNTER(exec_counts);
COUNTER(raw_counts);
COUNTER(tp_btf_counts);
COUNTER(getsid_counts);
COUNTER(getsid_return_counts);
COUNTER(sample_counts);

static __always_inline void count(void *map) {
    __u64 key = bpf_get_current_pid_tgid();
    __u64 *value = bpf_map_lookup_elem(map, &key);
    if (value) {
        __sync_fetch_and_add(value, 1);
        return;
    }
    __u64 one = 1;
    bpf_map_update_elem(map, &key, &one, BPF_NOEXIST);
}

SEC("tracepoint/sched/sched_process_exec")
int count_exec(void *ctx) {
    count(&exec_counts);
    return 0;
}

SEC("raw_tp/sys_enter")
int count_raw(void *ctx) {
    count(&raw_counts);
    return 0;
}

SEC("tp_btf/sys_enter")
int count_tp_btf(__u64 *ctx) {
    count(&tp_btf_counts);
    return 0;
}

SEC("uprobe/libc.so.6:getsid")
int count_getsid(void *ctx) {
    count(&getsid_counts);
    return 0;
}

SEC("uretprobe/libc.so.6:getsid")
int count_getsid_return(void *ctx) {
    count(&getsid_return_counts);
    return 0;
}

SEC("perf_event")
int count_samples(void *ctx) {
    count(&sample_counts);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
