// opensnoop's BPF program: the open, openat and openat2 syscall tracepoints
// (kprobes are not available everywhere), with bcc's record layout and a
// ring buffer. Its records are read through opensnoop_data_t
// (OpenSnoopEvent.swift), which `swift-bcc types` writes from this program.
import BCC
import EBPF

/// The BPF side of opensnoop.
public enum OpenSnoopProgram {
    /// Bytes in a record's path (bcc's NAME_MAX).
    public static let nameSize = 255

    /// Pages of opensnoop's one ring for `perCPU` pages per CPU (bcc's and
    /// libbpf-tools' perf buffers have that many on each CPU): the product,
    /// rounded up to a power of two as the kernel requires.
    public static func ringPages(perCPU: Int, cpus: Int? = nil) throws(BCCError) -> Int {
        var count = cpus ?? 1
        if cpus == nil {
            do throws(BPFError) {
                count = try PossibleCPUs.count()
            } catch {
                throw .kernel(operation: "count", object: "possible CPUs", cause: error)
            }
        }
        var pages = 1
        while pages < perCPU * max(count, 1) { pages <<= 1 }
        return pages
    }

    /// The program for the given filters. `bufferPages` sizes the ring buffer
    /// (a power of two); `filterPid`, `filterTid` and `filterUID` keep only
    /// the process, thread or user the tool puts in `pid_filter`,
    /// `tid_filter` or `uid_filter` (``TableFilters``) before attaching, so a
    /// run for another pid hits the compile cache; `filterFlags` keeps the
    /// opens whose flags share a bit with `flags_filter` (bcc's -f), and
    /// `containers` the tasks of bcc's --cgroupmap and --mntnsmap.
    public static func source(filterPid: Bool = false, filterTid: Bool = false, filterUID: Bool = false,
                              filterFlags: Bool = false, containers: ContainerFilter = ContainerFilter(),
                              bufferPages: Int = 64) -> String {
        var filter = containers.check.isEmpty ? "" : containers.check + "\n    "
        var tables = containers.declarations
        for (enabled, name, value) in [(filterPid, "pid_filter", "pid"), (filterTid, "tid_filter", "tid"), (filterUID, "uid_filter", "uid")]
        where enabled {
            tables += TableFilters.value(name) + "\n"
            filter += "if (\(value) != \(name)_value()) { return 0; }\n    "
        }
        if filterFlags {
            tables += TableFilters.value("flags_filter") + "\n"
            filter += "if (!(flags & flags_filter_value())) { return 0; }\n    "
        }
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            struct val_t {
                u64 id;
                const char *fname;
                int flags;
                u32 mode;
            };

            struct opensnoop_data_t {
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
            \(tables)

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
                struct opensnoop_data_t *data = events.ringbuf_reserve(sizeof(struct opensnoop_data_t));
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
}

extension OpenEvent {
    /// The event one opensnoop record reports.
    public init(_ record: opensnoop_data_t) {
        self.init(
            pid: UInt32(truncatingIfNeeded: record.id >> 32), tid: UInt32(truncatingIfNeeded: record.id),
            timestampMicros: record.ts, uid: record.uid, ret: record.ret, comm: record.commString,
            path: record.nameString, flags: record.flags, mode: record.mode)
    }
}
