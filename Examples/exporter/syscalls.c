// System calls by process name and by number, and failed system calls by
// errno, from the raw sys_enter / sys_exit tracepoints.

struct syscall_key_t {
    char comm[16];
    u64 nr;
};

BPF_HASH(syscalls_total, struct syscall_key_t, u64, 16384);
BPF_HASH(syscall_errors_total, u64, u64, 512);

RAW_TRACEPOINT_PROBE(sys_enter)
{
    // TP_PROTO(struct pt_regs *regs, long id)
    struct syscall_key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.nr = ctx->args[1];
    syscalls_total.atomic_increment(key);
    return 0;
}

RAW_TRACEPOINT_PROBE(sys_exit)
{
    // TP_PROTO(struct pt_regs *regs, long ret)
    long ret = ctx->args[1];
    if (ret < 0 && ret >= -4095) {
        u64 err = -ret;
        syscall_errors_total.atomic_increment(err);
    }
    return 0;
}
