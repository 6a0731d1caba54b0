/// The BPF program of funclatency: an entry and a return probe per function;
/// the entry stores the time by thread, the return adds the latency to a
/// log2 histogram (one per function with -F) and to a running total and count.
public enum FuncLatencySource {
    /// The histogram's unit: bcc's default nanoseconds, -u or -m.
    public enum Unit: String, Sendable {
        case nanoseconds = "nsecs", microseconds = "usecs", milliseconds = "msecs"

        /// The divisor from nanoseconds.
        public var nanoseconds: UInt64 {
            switch self {
            case .nanoseconds: return 1
            case .microseconds: return 1_000
            case .milliseconds: return 1_000_000
            }
        }
    }

    /// The program for `functions` (concrete entry points). With
    /// `perFunction`, `dist` is keyed by `{u64 function; u64 slot;}` where
    /// function is the index into `functions`.
    public static func make(functions: [ProbePoint], unit: Unit, perFunction: Bool, filter: TaskFilter)
        -> (source: String, entries: [GeneratedProbe], returns: [GeneratedProbe])
    {
        let histogram = perFunction
            ? "typedef struct funclatency_key { u64 function; u64 slot; } funclatency_key_t;\nBPF_HISTOGRAM(dist, funclatency_key_t);"
            : "BPF_HISTOGRAM(dist);"
        let store = perFunction
            ? "funclatency_key_t key = {}; key.function = start_value->function; key.slot = bpf_log2l(delta); dist.atomic_increment(key);"
            : "dist.atomic_increment(bpf_log2l(delta));"
        var text = """
            struct funclatency_start { u64 ts; u64 function; };
            BPF_HASH(start, u32, struct funclatency_start);
            \(histogram)
            BPF_ARRAY(avg, u64, 2);

            static __always_inline int funclatency_entry(u64 function) {
                \(filter.statements)
                u32 tid = bpf_get_current_pid_tgid();
                struct funclatency_start value = {};
                value.ts = bpf_ktime_get_ns();
                value.function = function;
                start.update(&tid, &value);
                return 0;
            }

            static __always_inline int funclatency_return(void) {
                u32 tid = bpf_get_current_pid_tgid();
                struct funclatency_start *start_value = start.lookup(&tid);
                if (start_value == 0) { return 0; }
                u64 delta = bpf_ktime_get_ns() - start_value->ts;
                int total = 0, count = 1;
                avg.atomic_increment(total, delta);
                avg.atomic_increment(count);
                delta /= \(unit.nanoseconds);
                \(store)
                start.delete(&tid);
                return 0;
            }

            """
        var entries: [GeneratedProbe] = []
        var returns: [GeneratedProbe] = []
        for (index, point) in functions.enumerated() {
            let entry = GeneratedProbe(point: point, functionName: "funclatency_entry_\(index)")
            var returnPoint = point
            returnPoint.kind = point.kind == .kernelEntry ? .kernelReturn : .userReturn
            let exit = GeneratedProbe(point: returnPoint, functionName: "funclatency_return_\(index)")
            entries.append(entry)
            returns.append(exit)
            text += "\(entry.definitionHead()) { return funclatency_entry(\(index)); }\n"
            text += "\(exit.definitionHead()) { return funclatency_return(); }\n"
        }
        return (text, entries, returns)
    }
}
