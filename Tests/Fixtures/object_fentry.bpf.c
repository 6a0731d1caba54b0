/* fentry and fexit programs: loading them needs the kernel's BTF id of
 * the target function and a kernel that allows BPF trampolines. */
#include <bpf_fixture.h>

SEC("fentry/do_unlinkat")
int on_unlinkat_entry(void *ctx) { return 0; }

SEC("fexit/do_unlinkat")
int on_unlinkat_exit(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
