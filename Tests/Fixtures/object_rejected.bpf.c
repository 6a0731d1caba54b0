/* A program the verifier must reject: it dereferences a map lookup's result
 * without checking it for NULL. */
#include <bpf_fixture.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

SEC("socket")
int unchecked_lookup(void *skb) {
    __u32 key = 0;
    __u64 *counter = bpf_map_lookup_elem(&counters, &key);
    *counter += 1; /* REJECTED HERE */
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
