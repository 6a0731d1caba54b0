/* Global subprograms: a hidden one (static linkage in the fixed-up BTF, so
 * the verifier checks it with its caller) and a visible one (verified on its
 * own, as the kernel does for global functions). */
#include <bpf_fixture.h>

__attribute__((visibility("hidden"))) __noinline int hidden_double(int x) {
    return x * 2;
}

__noinline int global_triple(int x) {
    return x * 3;
}

SEC("socket")
int use_subprograms(void *skb) {
    return hidden_double(5) + global_triple(1);
}

char LICENSE[] SEC("license") = "GPL";
