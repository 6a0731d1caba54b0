// ucalls: method calls of a high-level language runtime counted through its
// USDT probes, as bcc's tools/lib/ucalls.py.

/// The BPF program and the summary of ucalls.
public enum UCallsProgram {
    /// A language whose runtime has method entry and return probes.
    public struct Language: Sendable, Equatable {
        /// The name `-l` takes.
        public var name: String
        /// The probe at each call.
        public var entryProbe: String
        /// The probe at each return.
        public var returnProbe: String
        /// The probe argument holding the class (for Python: the file) as a C string.
        public var classArgument: Int
        /// The probe argument holding the method name as a C string.
        public var methodArgument: Int
    }

    /// The languages ucalls knows: CPython's function__entry(filename, funcname, lineno).
    public static let languages = [
        Language(name: "python", entryProbe: "function__entry", returnProbe: "function__return", classArgument: 1, methodArgument: 2),
    ]

    /// The longest class or method name kept (longer ones are cut).
    public static let maximumNameLength = 80

    /// The program: counts calls per (class, method) of `language` in
    /// `counts`, and with `syscalls` (bcc's -S) the system calls of the
    /// process in `pid_filter` by number in `syscalls`; with `latency`, also
    /// the time from entry to return per call.
    public static func source(language: Language?, latency: Bool, syscalls: Bool = false) -> String {
        """
        struct info_t { u64 num_calls; u64 total_ns; };
        \(language.map { methodSource(language: $0, latency: latency) } ?? "")
        \(syscalls ? syscallSource(latency: latency) : "")
        """
    }

    /// The USDT handlers of `language`'s method probes.
    static func methodSource(language: Language, latency: Bool) -> String {
        """
        #define MAX_STRING \(maximumNameLength)
        struct method_t { char clazz[MAX_STRING]; char method[MAX_STRING]; };
        struct entry_t { u64 pid; struct method_t method; };
        BPF_HASH(entry, struct entry_t, u64);
        BPF_HASH(counts, struct method_t, struct info_t);

        static __always_inline void read_method(struct pt_regs *ctx, struct method_t *method, u64 clazz, u64 name) {
            bpf_probe_read_user_str(method->clazz, sizeof(method->clazz), (void *)clazz);
            bpf_probe_read_user_str(method->method, sizeof(method->method), (void *)name);
        }

        int trace_entry(struct pt_regs *ctx) {
            u64 clazz = 0, name = 0;
            struct entry_t data = {};
            bpf_usdt_readarg(\(language.classArgument), ctx, &clazz);
            bpf_usdt_readarg(\(language.methodArgument), ctx, &name);
            read_method(ctx, &data.method, clazz, name);
        \(latency ? """
            data.pid = bpf_get_current_pid_tgid();
            u64 timestamp = bpf_ktime_get_ns();
            entry.update(&data, &timestamp);
        """ : """
            struct info_t zero = {};
            struct info_t *info = counts.lookup_or_try_init(&data.method, &zero);
            if (info) __sync_fetch_and_add(&info->num_calls, 1);
        """)
            return 0;
        }
        \(latency ? """

        int trace_return(struct pt_regs *ctx) {
            u64 clazz = 0, name = 0;
            struct entry_t data = {};
            bpf_usdt_readarg(\(language.classArgument), ctx, &clazz);
            bpf_usdt_readarg(\(language.methodArgument), ctx, &name);
            read_method(ctx, &data.method, clazz, name);
            data.pid = bpf_get_current_pid_tgid();
            u64 *start = entry.lookup(&data);
            if (!start) return 0;   /* entered before tracing began */
            u64 elapsed = bpf_ktime_get_ns() - *start;
            entry.delete(&data);
            struct info_t zero = {};
            struct info_t *info = counts.lookup_or_try_init(&data.method, &zero);
            if (!info) return 0;
            __sync_fetch_and_add(&info->num_calls, 1);
            __sync_fetch_and_add(&info->total_ns, elapsed);
            return 0;
        }
        """ : "")
        """
    }

    /// The raw_syscalls handlers: calls (and with `latency` their time) by syscall number.
    static func syscallSource(latency: Bool) -> String {
        """
        \(TableFilters.value("pid_filter"))
        BPF_HASH(syscalls, u64, struct info_t);
        struct syscall_entry_t { u64 timestamp; u64 id; };
        BPF_HASH(sysentry, u64, struct syscall_entry_t);

        TRACEPOINT_PROBE(raw_syscalls, sys_enter) {
            u64 pid = bpf_get_current_pid_tgid();
            if ((pid >> 32) != pid_filter_value()) { return 0; }
            u64 id = args->id;
        \(latency ? """
            struct syscall_entry_t data = {.timestamp = bpf_ktime_get_ns(), .id = id};
            sysentry.update(&pid, &data);
        """ : """
            struct info_t zero = {};
            struct info_t *info = syscalls.lookup_or_try_init(&id, &zero);
            if (info) __sync_fetch_and_add(&info->num_calls, 1);
        """)
            return 0;
        }
        \(latency ? """

        TRACEPOINT_PROBE(raw_syscalls, sys_exit) {
            u64 pid = bpf_get_current_pid_tgid();
            if ((pid >> 32) != pid_filter_value()) { return 0; }
            struct syscall_entry_t *e = sysentry.lookup(&pid);
            if (!e) return 0;   /* missed the entry */
            u64 id = e->id;
            u64 elapsed = bpf_ktime_get_ns() - e->timestamp;
            sysentry.delete(&pid);
            struct info_t zero = {};
            struct info_t *info = syscalls.lookup_or_try_init(&id, &zero);
            if (!info) return 0;
            __sync_fetch_and_add(&info->num_calls, 1);
            __sync_fetch_and_add(&info->total_ns, elapsed);
            return 0;
        }
        """ : "")
        """
    }

    /// One summary row: "class.method", its calls and total time.
    public struct Row: Sendable, Equatable {
        /// "class.method".
        public var method: String
        /// Calls counted.
        public var calls: UInt64
        /// Nanoseconds spent in them (with latency).
        public var totalNanoseconds: UInt64

        /// Creates a row.
        public init(method: String, calls: UInt64, totalNanoseconds: UInt64) {
            self.method = method
            self.calls = calls
            self.totalNanoseconds = totalNanoseconds
        }
    }

    /// bcc's summary: a header, then the `top` rows with the most calls
    /// (most time, with latency) in ascending order, so the busiest is last.
    public static func summary(_ rows: [Row], latency: Bool, milliseconds: Bool, top: Int?) -> [String] {
        let sorted = rows.sorted { latency ? ($0.totalNanoseconds, $0.method) < ($1.totalNanoseconds, $1.method)
                                           : ($0.calls, $0.method) < ($1.calls, $1.method) }
        let shown = top.map { Array(sorted.suffix($0)) } ?? sorted
        func padded(_ text: String, _ width: Int, left: Bool = true) -> String {
            let pad = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + pad : pad + text
        }
        guard latency else {
            return [padded("METHOD", 50) + " " + padded("# CALLS", 8, left: false)]
                + shown.map { padded($0.method, 50) + " " + padded(String($0.calls), 8, left: false) }
        }
        let unit = milliseconds ? "ms" : "us"
        let divisor = milliseconds ? 1_000_000.0 : 1_000.0
        return [padded("METHOD", 50) + " " + padded("# CALLS", 8, left: false) + " " + padded("TIME (\(unit))", 10, left: false)]
            + shown.map {
                padded($0.method, 50) + " " + padded(String($0.calls), 8, left: false) + " "
                    + padded(CText.fixed(Double($0.totalNanoseconds) / divisor, 2), 10, left: false)
            }
    }
}
