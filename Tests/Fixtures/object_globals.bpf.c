/* Global data, a string literal, a loop and a bpf-to-bpf call: the loader's
 * end-to-end fixture. Results land in `results` for the test to read. */
#include <bpf_fixture.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} results SEC(".maps");

struct greeting {
    char text[14];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct greeting);
} greetings SEC(".maps");

const volatile __u32 multiplier = 1; /* .rodata: set from Swift before load */
__u32 limit = 5;                      /* .data */
__u64 runs;                           /* .bss */

/* A subprogram in .text, called with BPF_PSEUDO_CALL. The recurrence has
 * no closed form, so the loop stays a loop. */
static __noinline __u64 mix_to(__u32 n) {
    __u64 total = 0;
    for (__u32 i = 1; i <= n && i <= 100; i++)
        total = total * 3 + i;
    return total;
}

SEC("socket")
int run_globals(void *skb) {
    __u32 key = 0;
    __u64 value = mix_to(limit) * multiplier;
    bpf_map_update_elem(&results, &key, &value, BPF_ANY);

    /* The literal lives in .rodata.str1.1 and is passed by address. */
    bpf_map_update_elem(&greetings, &key, "hello, rodata", BPF_ANY);

    runs += 1;
    key = 1;
    value = runs;
    bpf_map_update_elem(&results, &key, &value, BPF_ANY);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
