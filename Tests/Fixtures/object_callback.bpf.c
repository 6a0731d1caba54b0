/* bpf_loop with a static callback: the callback's address is a 64-bit load
 * of a function (BPF_PSEUDO_FUNC), linked like a call. */
#include <bpf_fixture.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} sums SEC(".maps");

static int add_square(__u32 index, void *ctx) {
    __u64 *sum = ctx;
    *sum += (__u64)index * index;
    return 0;
}

SEC("socket")
int sum_squares(void *skb) {
    __u64 sum = 0;
    __u32 key = 0;
    bpf_loop(10, add_square, &sum, 0);
    bpf_map_update_elem(&sums, &key, &sum, BPF_ANY);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
