/* A program in a section that follows no naming convention. */
#include <bpf_fixture.h>

SEC("weird/name")
int misplaced(void *ctx) {
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
