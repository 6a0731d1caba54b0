// opensnoop's BPF program: the open, openat and openat2 syscall tracepoints
// (kprobes are not available everywhere), with bcc's record layout and a
// ring buffer.
import BCC

/// The BPF side of opensnoop and the layout of its records.
public enum OpenSnoopProgram {
    /// Bytes in a record's path (bcc's NAME_MAX).
    public static let nameSize = 255

    /// The program for the given filters. `bufferPages` sizes the ring buffer
    /// (a power of two); `pid` / `tid` keep only that process or thread.
    public static func source(pid: Int32? = nil, tid: Int32? = nil, uid: UInt32? = nil,
                              bufferPages: Int = 64) -> String {
        var filter = ""
        if let pid { filter += "if (pid != \(pid)) { return 0; }\n" }
        if let tid { filter += "    if (tid != \(tid)) { return 0; }\n" }
        if let uid { filter += "    if (uid != \(uid)) { return 0; }\n" }
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            struct val_t {
                u64 id;
                const char *fname;
                int flags;
                u32 mode;
            };

            struct data_t {
                u64 id;
                u64 ts;
                u32 uid;
                int ret;
                char comm[TASK_COMM_LEN];
                char name[\(nameSize)];
                int flags;
                u32 mode;
            };

            BPF_HASH(infotmp, u64, struct val_t);
            BPF_RINGBUF_OUTPUT(events, \(bufferPages));

            static int trace_entry(const char *filename, int flags, u32 mode)
            {
                u64 id = bpf_get_current_pid_tgid();
                u32 pid = id >> 32;
                u32 tid = id;
                u32 uid = bpf_get_current_uid_gid();
                \(filter)
                struct val_t val = {};
                val.id = id;
                val.fname = filename;
                val.flags = flags;
                val.mode = mode;
                infotmp.update(&id, &val);
                return 0;
            }

            static int trace_return(int ret)
            {
                u64 id = bpf_get_current_pid_tgid();
                struct val_t *valp = infotmp.lookup(&id);
                if (valp == 0)
                    return 0;
                struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t));
                if (data) {
                    bpf_get_current_comm(&data->comm, sizeof(data->comm));
                    bpf_probe_read_user_str(&data->name, sizeof(data->name), (void *)valp->fname);
                    data->id = valp->id;
                    data->ts = bpf_ktime_get_ns() / 1000;
                    data->uid = bpf_get_current_uid_gid();
                    data->flags = valp->flags;
                    data->mode = valp->mode;
                    data->ret = ret;
                    events.ringbuf_submit(data, 0);
                }
                infotmp.delete(&id);
                return 0;
            }

            TRACEPOINT_PROBE(syscalls, sys_enter_open)
            {
                return trace_entry(args->filename, args->flags, args->mode);
            }

            TRACEPOINT_PROBE(syscalls, sys_exit_open)
            {
                return trace_return(args->ret);
            }

            TRACEPOINT_PROBE(syscalls, sys_enter_openat)
            {
                return trace_entry(args->filename, args->flags, args->mode);
            }

            TRACEPOINT_PROBE(syscalls, sys_exit_openat)
            {
                return trace_return(args->ret);
            }

            TRACEPOINT_PROBE(syscalls, sys_enter_openat2)
            {
                struct open_how how = {};
                bpf_probe_read_user(&how, sizeof(how), (void *)args->how);
                return trace_entry(args->filename, how.flags, how.mode);
            }

            TRACEPOINT_PROBE(syscalls, sys_exit_openat2)
            {
                return trace_return(args->ret);
            }

            """
    }

    // MARK: - Record layout (struct data_t)

    static let idOffset = 0, timestampOffset = 8, uidOffset = 16, retOffset = 20, commOffset = 24
    static let nameOffset = commOffset + 16
    static let flagsOffset = (nameOffset + nameSize + 3) & ~3
    static let modeOffset = flagsOffset + 4
    /// Checks that the program's `events` records are the `struct data_t`
    /// this layout reads, as the program's BTF describes it.
    public static func checkLayout(of events: Table) throws {
        let size = try events.eventDecoder().size
        guard size == recordSize else {
            throw BCCError.invalidUse(object: "table '\(events.name)'",
                                      detail: "records are \(size) bytes, \(Self.self) reads \(recordSize)")
        }
    }

    /// sizeof(struct data_t).
    public static let recordSize = (modeOffset + 4 + 7) & ~7

    /// Decodes one record, or nil if it is not the size of `struct data_t`.
    public static func event(from record: UnsafeRawBufferPointer) -> OpenEvent? {
        guard record.count == recordSize else { return nil }
        let id = record.loadUnaligned(fromByteOffset: idOffset, as: UInt64.self)
        return OpenEvent(
            pid: UInt32(truncatingIfNeeded: id >> 32), tid: UInt32(truncatingIfNeeded: id),
            timestampMicros: record.loadUnaligned(fromByteOffset: timestampOffset, as: UInt64.self),
            uid: record.loadUnaligned(fromByteOffset: uidOffset, as: UInt32.self),
            ret: record.loadUnaligned(fromByteOffset: retOffset, as: Int32.self),
            comm: CText.string(record[commOffset ..< commOffset + 16]),
            path: CText.string(record[nameOffset ..< nameOffset + nameSize]),
            flags: record.loadUnaligned(fromByteOffset: flagsOffset, as: Int32.self),
            mode: record.loadUnaligned(fromByteOffset: modeOffset, as: UInt32.self))
    }
}
