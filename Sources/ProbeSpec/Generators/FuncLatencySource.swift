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
    /// function is the index into `functions`. `levels` above 1 keeps that
    /// many nested or recursive calls per thread (bcc's -l), each timed from
    /// its own entry; otherwise a call's entry replaces an outer one's.
    public static func make(functions: [ProbePoint], unit: Unit, perFunction: Bool, filter: TaskFilter, levels: Int = 1)
        -> (source: String, entries: [GeneratedProbe], returns: [GeneratedProbe])
    {
        let histogram = perFunction
            ? "typedef struct funclatency_key { u64 function; u64 slot; } funclatency_key_t;\nBPF_HISTOGRAM(dist, funclatency_key_t);"
            : "BPF_HISTOGRAM(dist);"
        let store = perFunction
            ? "funclatency_key_t key = {}; key.function = function; key.slot = bpf_log2l(delta); dist.atomic_increment(key);"
            : "dist.atomic_increment(bpf_log2l(delta));"
        var text = """
            struct funclatency_start { u64 ts; u64 function; };
            \(histogram)
            BPF_ARRAY(avg, u64, 2);


            static __always_inline int funclatency_record(u64 delta, u64 function) {
                int total = 0, count = 1;
                avg.atomic_increment(total, delta);
                avg.atomic_increment(count);
                delta /= \(unit.nanoseconds);
                \(store)
                return 0;
            }

            """
        text += levels > 1 ? nestedStarts(levels: levels, filter: filter) : singleStart(filter: filter)
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

    /// One start time per thread: a call's entry replaces an outer one's.
    private static func singleStart(filter: TaskFilter) -> String {
        """
        BPF_HASH(start, u32, struct funclatency_start);

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
            u64 function = start_value->function;
            start.delete(&tid);
            return funclatency_record(delta, function);
        }

        """
    }

    /// A stack of `levels` start times per thread (bcc's func_stack_t):
    /// each return pops its own call's entry; calls deeper than `levels` are not timed.
    private static func nestedStarts(levels: Int, filter: TaskFilter) -> String {
        """
        #define FUNCLATENCY_LEVELS \(levels)
        struct funclatency_stack { u32 head; u32 missed; struct funclatency_start cache[FUNCLATENCY_LEVELS]; };
        BPF_HASH(start, u32, struct funclatency_stack);
        BPF_PERCPU_ARRAY(start_scratch, struct funclatency_stack, 1);

        static __always_inline int funclatency_entry(u64 function) {
            \(filter.statements)
            u32 tid = bpf_get_current_pid_tgid();
            struct funclatency_stack *stack = start.lookup(&tid);
            if (stack == 0) {
                u32 zero = 0;
                stack = start_scratch.lookup(&zero);
                if (stack == 0) { return 0; }
                stack->head = 0;
                stack->missed = 0;
            }
            u32 index = stack->head;
            if (index >= FUNCLATENCY_LEVELS) {
                stack->missed++;   // deeper than -l: its return pops nothing
            } else {
                stack->cache[index].ts = bpf_ktime_get_ns();
                stack->cache[index].function = function;
                stack->head = index + 1;
            }
            start.update(&tid, stack);
            return 0;
        }

        static __always_inline int funclatency_return(void) {
            u32 tid = bpf_get_current_pid_tgid();
            struct funclatency_stack *stack = start.lookup(&tid);
            if (stack == 0) { return 0; }
            if (stack->missed > 0) {
                stack->missed--;
                return 0;
            }
            if (stack->head == 0) {
                start.delete(&tid);
                return 0;
            }
            u32 index = stack->head - 1;
            if (index >= FUNCLATENCY_LEVELS) { return 0; }
            u64 delta = bpf_ktime_get_ns() - stack->cache[index].ts;
            u64 function = stack->cache[index].function;
            stack->head = index;
            if (index == 0) { start.delete(&tid); }
            return funclatency_record(delta, function);
        }

        """
    }
}
