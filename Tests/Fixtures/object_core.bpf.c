/* CO-RE relocations against the kernel's types. list_head and pid_type are
 * declared here as the kernel has them, so their relocations (field offset
 * and existence, type size, enumerator value) check out; with -DMISMATCH a
 * task_struct whose pid sits at offset 0 is used too, which the kernel's
 * task_struct contradicts. */
#include <bpf_fixture.h>

struct list_head {
    struct list_head *next;
    struct list_head *prev;
} __attribute__((preserve_access_index));

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID, PIDTYPE_SID, PIDTYPE_MAX };

#ifdef MISMATCH
struct task_struct {
    int pid;
} __attribute__((preserve_access_index));
#endif

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} offsets SEC(".maps");

SEC("socket")
int core_offsets(void *skb) {
    struct list_head *list = 0;
    __u32 key = 0;
    __u64 value = __builtin_preserve_field_info(list->prev, 0 /* BPF_FIELD_BYTE_OFFSET */);
    bpf_map_update_elem(&offsets, &key, &value, BPF_ANY);
    key = 2;
    value = __builtin_preserve_field_info(list->next, 2 /* BPF_FIELD_EXISTS */);
    bpf_map_update_elem(&offsets, &key, &value, BPF_ANY);
    key = 3;
    value = __builtin_preserve_type_info(*list, 1 /* BPF_TYPE_SIZE */);
    bpf_map_update_elem(&offsets, &key, &value, BPF_ANY);
    key = 4;
    value = __builtin_preserve_enum_value(*(typeof(enum pid_type) *)PIDTYPE_SID, 1 /* BPF_ENUMVAL_VALUE */);
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
