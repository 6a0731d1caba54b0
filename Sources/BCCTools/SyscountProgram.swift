// syscount's BPF program and its summary: system calls counted (and with -L
// timed) by call or by process, from the raw_syscalls:sys_enter/sys_exit
// tracepoints, as bcc's tools/syscount.py does.
import BCC

/// What syscount filters on; each filter's value lives in a table the tool fills.
public struct SyscountFilters: Sendable, Equatable {
    /// -p: the process in `pid_filter`.
    public var pid = false
    /// -t: the thread in `tid_filter`.
    public var tid = false
    /// -c: children of the process in `ppid_filter`.
    public var ppid = false
    /// -x: calls that returned an error.
    public var failedOnly = false
    /// -e: calls that returned the error in `errno_filter`.
    public var errno = false
    /// --syscall: the call in `syscall_filter`.
    public var syscall = false

    /// No filter.
    public init() {}
}

/// The BPF side of syscount and the text of its summaries.
public enum SyscountProgram {
    /// The program: `latency` (-L) adds each call's time, `byProcess` (-P)
    /// keys the counts by process id instead of system call number.
    public static func source(latency: Bool, byProcess: Bool, filters: SyscountFilters) -> String {
        var checks: [String] = []
        var tables: [String] = []
        if filters.syscall {
            checks.append("if (args->id != (long)syscall_filter_value()) return 0;")
            tables.append(TableFilters.value("syscall_filter"))
        }
        if filters.pid {
            checks.append("if (pid != pid_filter_value()) return 0;")
            tables.append(TableFilters.value("pid_filter"))
        }
        if filters.tid {
            checks.append("if (tid != tid_filter_value()) return 0;")
            tables.append(TableFilters.value("tid_filter"))
        }
        if filters.ppid {
            checks.append("""
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                    if (task->real_parent->tgid != ppid_filter_value()) return 0;
                """)
            tables.append(TableFilters.value("ppid_filter"))
        }
        var exitChecks = checks
        if filters.failedOnly { exitChecks.append("if (args->ret >= 0) return 0;") }
        if filters.errno {
            exitChecks.append("if (args->ret != -(long)errno_filter_value()) return 0;")
            tables.append(TableFilters.value("errno_filter"))
        }
        let key = byProcess ? "u32 key = pid;" : "u32 key = args->id;"
        let entry = latency ? """
            TRACEPOINT_PROBE(raw_syscalls, sys_enter)
            {
                u64 pid_tgid = bpf_get_current_pid_tgid();
                u32 pid = pid_tgid >> 32;
                u32 tid = (u32)pid_tgid;
                \(checks.joined(separator: "\n    "))
                u64 t = bpf_ktime_get_ns();
                start.update(&pid_tgid, &t);
                return 0;
            }

            """ : ""
        let count = latency ? """
                u64 *start_ns = start.lookup(&pid_tgid);
                if (start_ns == 0)
                    return 0;   // missed the entry
                u64 delta = bpf_ktime_get_ns() - *start_ns;
                start.delete(&pid_tgid);
                struct data_t zero = {};
                struct data_t *val = data.lookup_or_try_init(&key, &zero);
                if (val) {
                    lock_xadd(&val->count, 1);
                    lock_xadd(&val->total_ns, delta);
                }
            """ : """
                u64 zero = 0;
                u64 *val = data.lookup_or_try_init(&key, &zero);
                if (val)
                    lock_xadd(val, 1);
            """
        let maps = latency ? """
            struct data_t {
                u64 count;
                u64 total_ns;
            };

            // Entry times by thread (bcc keeps them; deleting at exit keeps exited threads' slots free).
            BPF_HASH(start, u64, u64, 10240);
            BPF_HASH(data, u32, struct data_t);
            """ : "BPF_HASH(data, u32, u64);"
        return """
            #include <linux/sched.h>

            \(maps)
            \(tables.joined(separator: "\n"))

            \(entry)TRACEPOINT_PROBE(raw_syscalls, sys_exit)
            {
                u64 pid_tgid = bpf_get_current_pid_tgid();
                u32 pid = pid_tgid >> 32;
                u32 tid = (u32)pid_tgid;
                \(exitChecks.joined(separator: "\n    "))
                \(key)
            \(count)
                return 0;
            }

            """
    }

    /// One row of a summary: a system call number or process id, its count
    /// and (with -L) its total time in nanoseconds.
    public struct Row: Sendable, Equatable {
        /// The system call number, or the process id with -P.
        public var key: UInt32
        /// Calls counted.
        public var count: UInt64
        /// Their total time in nanoseconds (-L).
        public var totalNanoseconds: UInt64

        /// A row.
        public init(key: UInt32, count: UInt64, totalNanoseconds: UInt64 = 0) {
            self.key = key
            self.count = count
            self.totalNanoseconds = totalNanoseconds
        }
    }

    /// The `latency` table's value.
    public struct CountAndTime: BitwiseCopyable, Sendable {
        /// Calls counted.
        public var count: UInt64
        /// Their total time in nanoseconds.
        public var totalNanoseconds: UInt64
    }

    /// Reads and clears the `data` table of `b`.
    public static func takeRows(from b: BPF, latency: Bool) throws(BCCError) -> [Row] {
        let rows: [Row]
        if latency {
            let table = try b["data"].typed(key: UInt32.self, value: CountAndTime.self)
            rows = try table.items().map { Row(key: $0.key, count: $0.value.count, totalNanoseconds: $0.value.totalNanoseconds) }
            try table.clear()
        } else {
            let table = try b["data"].typed(key: UInt32.self, value: UInt64.self)
            rows = try table.items().map { Row(key: $0.key, count: $0.value) }
            try table.clear()
        }
        return rows
    }

    /// The first line, as bcc prints it.
    public static func banner(failedOnly: Bool, syscall: String?, top: Int) -> String {
        let failed = failedOnly ? "failed " : ""
        if let syscall { return "Tracing \(failed)syscall '\(syscall)'... Ctrl+C to quit." }
        return "Tracing \(failed)syscalls, printing top \(top)... Ctrl+C to quit."
    }

    /// A summary: `[HH:MM:SS]`, the header, the top `top` rows (by count,
    /// or by time with -L), an empty line. `processName` names a process id (-P).
    public static func summary(rows: [Row], time: String, latency: Bool, byProcess: Bool, milliseconds: Bool,
                               top: Int, processName: (UInt32) -> String) -> [String] {
        let keyColumn = byProcess ? "PID    COMM" : "SYSCALL"
        var lines = ["[\(time)]"]
        if latency {
            lines.append("\(CText.left(keyColumn, 22)) \(CText.right("COUNT", 8)) \(CText.right(milliseconds ? "TIME (ms)" : "TIME (us)", 16))")
        } else {
            lines.append("\(CText.left(keyColumn, 22)) \(CText.right("COUNT", 8))")
        }
        let sorted = rows.sorted { latency ? $0.totalNanoseconds > $1.totalNanoseconds : $0.count > $1.count }
        // bcc takes the top rows first, then skips the occasional id -1 among them.
        for row in sorted.prefix(max(0, top)) where row.key != UInt32.max {
            let name = byProcess
                ? "\(CText.left(String(row.key), 6)) \(CText.left(processName(row.key), 15))"
                : syscallName(Int(row.key))
            var line = "\(CText.left(name, 22)) \(CText.right(String(row.count), 8))"
            if latency {
                let value = Double(row.totalNanoseconds) / (milliseconds ? 1e6 : 1e3)
                line += " " + CText.right(CText.fixed(value, milliseconds ? 6 : 3), 16)
            }
            lines.append(line)
        }
        lines.append("")
        return lines
    }

    /// bcc's `syscall_name`: the name, or `[unknown: N]`.
    public static func syscallName(_ number: Int) -> String {
        SyscallNames.name(of: number) ?? "[unknown: \(number)]"
    }

    /// bcc's -l: every known system call name, sorted, four to a line in 22-column fields.
    public static func listing() -> [String] {
        let names = (0..<1024).compactMap { SyscallNames.name(of: $0) }.sorted()
        return stride(from: 0, to: names.count, by: 4).map { start in
            names[start..<min(start + 4, names.count)].map { CText.left($0, 22) }.joined(separator: "   ")
        }
    }
}
