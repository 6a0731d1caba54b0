/* A BPF object for the ELF tests: two programs, a BTF map, global data and
 * relocations against all of them. */
#include <bpf_fixture.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

__u64 total = 0;
const volatile __u32 factor = 3;

SEC("socket")
int count_packets(void *skb) {
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem(&counts, &key);
    if (value)
        *value += factor;
    total += 1;
    return 0;
}

SEC("raw_tracepoint/sys_enter")
int count_syscalls(void *ctx) {
    __u32 key = 1;
    __u64 *value = bpf_map_lookup_elem(&counts, &key);
    if (value)
        *value += 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
