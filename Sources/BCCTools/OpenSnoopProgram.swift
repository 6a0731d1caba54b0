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
    /// `containers` the tasks of bcc's --cgroupmap and --mntnsmap. With
    /// `fullPath` (bcc's -F) a relative open leaves its opener's working
    /// directory in `cwds`, keyed by the record's id and ts (see ``workingDirectory(of:in:)``).
    public static func source(filterPid: Bool = false, filterTid: Bool = false, filterUID: Bool = false,
                              filterFlags: Bool = false, containers: ContainerFilter = ContainerFilter(),
                              fullPath: Bool = false, bufferPages: Int = 64) -> String {
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
            \(fullPath ? workingDirectorySource : "")

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
                    \(fullPath ? "if (data->name[0] != '/')\n                record_cwd(data->id, data->ts);" : "")
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

// MARK: - Full paths (-F)

extension OpenSnoopProgram {
    /// Components of a working directory kept (bcc's MAX_ENTRIES).
    public static let workingDirectoryDepth = 32
    /// Bytes kept of each component.
    static let componentSize = 256

    /// The opener's working directory, walked up from task->fs->pwd through
    /// the mounts to the root, one component a slot (innermost first), into
    /// the LRU hash `cwds` that the tool reads and deletes as it prints.
    static var workingDirectorySource: String {
        """
        #define CWD_PARTS \(workingDirectoryDepth)
        struct opensnoop_cwd_t { u32 depth; char parts[CWD_PARTS][\(componentSize)]; };
        struct opensnoop_cwd_key_t { u64 id; u64 ts; };
        BPF_TABLE("lru_hash", struct opensnoop_cwd_key_t, struct opensnoop_cwd_t, cwds, 1024);
        BPF_PERCPU_ARRAY(cwd_scratch, struct opensnoop_cwd_t, 1);

        static void record_cwd(u64 id, u64 ts)
        {
            u32 zero = 0;
            struct opensnoop_cwd_t *cwd = cwd_scratch.lookup(&zero);
            if (cwd == 0)
                return;
            cwd->depth = 0;
            struct task_struct *task = (struct task_struct *)bpf_get_current_task();
            struct fs_struct *fs = 0;
            struct dentry *dentry = 0;
            struct vfsmount *vfsmnt = 0;
            bpf_probe_read_kernel(&fs, sizeof(fs), &task->fs);
            bpf_probe_read_kernel(&dentry, sizeof(dentry), &fs->pwd.dentry);
            bpf_probe_read_kernel(&vfsmnt, sizeof(vfsmnt), &fs->pwd.mnt);
            struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
            for (int i = 0; i < CWD_PARTS; i++) {
                struct dentry *root = 0, *parent = 0;
                bpf_probe_read_kernel(&root, sizeof(root), &vfsmnt->mnt_root);
                bpf_probe_read_kernel(&parent, sizeof(parent), &dentry->d_parent);
                if (dentry == root || dentry == parent) {
                    // The root of a mount: go on from where it is mounted, or stop at the real root.
                    struct mount *up = 0;
                    bpf_probe_read_kernel(&up, sizeof(up), &mnt->mnt_parent);
                    if (up == mnt)
                        break;
                    bpf_probe_read_kernel(&dentry, sizeof(dentry), &mnt->mnt_mountpoint);
                    mnt = up;
                    vfsmnt = &mnt->mnt;
                    continue;
                }
                u32 depth = cwd->depth;
                if (depth >= CWD_PARTS)
                    break;
                const unsigned char *name = 0;
                bpf_probe_read_kernel(&name, sizeof(name), &dentry->d_name.name);
                bpf_probe_read_kernel_str(cwd->parts[depth], sizeof(cwd->parts[depth]), name);
                cwd->depth = depth + 1;
                dentry = parent;
            }
            struct opensnoop_cwd_key_t key = {.id = id, .ts = ts};
            cwds.update(&key, cwd);
        }

        """
    }

    /// The working directory `record`'s program left in `cwds` (and deletes
    /// it), or nil when there is none (the path was absolute, or the entry
    /// was evicted).
    public static func workingDirectory(of record: opensnoop_data_t, in cwds: Table) throws(BCCError) -> String? {
        var key = withUnsafeBytes(of: record.id.littleEndian) { Array($0) }
        key += withUnsafeBytes(of: record.ts.littleEndian) { Array($0) }
        guard let value = try cwds[key] else { return nil }
        try cwds.delete(key)
        let depth = value.withUnsafeBytes { Int(EventDecoder.unsignedInteger(4, at: 0, in: $0)) }
        var parts: [String] = []
        for index in (0 ..< min(depth, workingDirectoryDepth)).reversed() {
            let start = 4 + index * componentSize
            guard start + componentSize <= value.count else { continue }
            parts.append(String(decoding: value[start ..< start + componentSize].prefix { $0 != 0 }, as: UTF8.self))
        }
        return "/" + parts.joined(separator: "/")
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
