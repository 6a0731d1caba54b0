/* CO-RE relocations against the kernel's types. list_head is declared here
 * with the kernel's layout, so its relocation checks out; with -DMISMATCH a
 * task_struct whose pid sits at offset 0 is used too, which the kernel's
 * task_struct contradicts. */
#include <bpf_fixture.h>

struct list_head {
    struct list_head *next;
    struct list_head *prev;
} __attribute__((preserve_access_index));

#ifdef MISMATCH
struct task_struct {
    int pid;
} __attribute__((preserve_access_index));
#endif

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} offsets SEC(".maps");

SEC("socket")
int core_offsets(void *skb) {
    struct list_head *list = 0;
    __u32 key = 0;
    __u64 value = __builtin_preserve_field_info(list->prev, 0 /* BPF_FIELD_BYTE_OFFSET */);
    bpf_map_update_elem(&offsets, &key, &value, BPF_ANY);
#ifdef MISMATCH
    struct task_struct *task = 0;
    key = 1;
    value = __builtin_preserve_field_info(task->pid, 0 /* BPF_FIELD_BYTE_OFFSET */);
    bpf_map_update_elem(&offsets, &key, &value, BPF_ANY);
#endif
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
