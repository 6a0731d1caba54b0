/* One program per section convention (fentry and fexit are in
 * object_fentry.bpf.c: kernels may forbid them), and two programs sharing the
 * "socket" section, each calling the same .text subprogram. */
#include <bpf_fixture.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} hits SEC(".maps");

/* Maps sized without types: the perf event array's max_entries is left
 * for the loader (one per possible CPU). */
struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} records SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __uint(map_flags, 1 /* BPF_F_NO_PREALLOC */);
    __uint(key_size, 8);
    __uint(value_size, 24);
} sized SEC(".maps");

static __noinline int count_hit(int result) {
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem(&hits, &key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return result;
}

SEC("socket")
int first_filter(void *skb) { return count_hit(1); }

SEC("socket")
int second_filter(void *skb) { return count_hit(2); }

SEC("raw_tracepoint/sys_enter")
int on_raw_sys_enter(void *ctx) { return count_hit(0); }

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx) { return count_hit(0); }

SEC("tp_btf/sched_switch")
int on_switch(void *ctx) { return count_hit(0); }

SEC("perf_event")
int on_sample(void *ctx) {
    __u64 value = 1;
    bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, &value, sizeof(value));
    bpf_ringbuf_output(&records, &value, sizeof(value), 0);
    __u64 key = 0;
    bpf_map_lookup_elem(&sized, &key);
    return count_hit(0);
}

SEC("kprobe/do_unlinkat")
int on_kprobe(void *ctx) { return count_hit(0); }

SEC("uprobe")
int on_uprobe(void *ctx) { return count_hit(0); }

char LICENSE[] SEC("license") = "GPL";
