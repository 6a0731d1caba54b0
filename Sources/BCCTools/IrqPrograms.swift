// hardirqs' and softirqs' BPF programs: time in (or count of) hard and soft
// interrupt handlers, from the irq_handler_entry/exit and softirq_entry/exit
// raw tracepoints (bcc uses the tracepoints of the same names, which copy
// their fields into a trace record first; struct irqaction names the
// handler). Handlers do not nest on a CPU, so a per-CPU slot holds the start
// time where bcc keeps a hash by thread and CPU.

/// What an irq tool stores per handler.
public enum IrqMeasure: Sendable, Equatable {
    /// Events (-C).
    case count
    /// Total time, divided by the factor (1 for nanoseconds, 1000 for microseconds).
    case total
    /// A log2 histogram of each call's time divided by `factor` (-d).
    case distribution(factor: Int)
}

/// The BPF side of hardirqs.
public enum HardirqsProgram {
    /// The program; `filterCPU` keeps the CPU the tool writes into `cpu_filter`.
    public static func source(measure: IrqMeasure, filterCPU: Bool = false) -> String {
        let cpuFilter = filterCPU ? "if (bpf_get_smp_processor_id() != cpu_filter_value()) return 0;" : ""
        let cpuTable = filterCPU ? TableFilters.value("cpu_filter") : ""
        var entry = ""
        var timing = ""
        let store: String
        switch measure {
        case .count:
            store = "dist.atomic_increment(key);"
        case .total:
            store = "dist.atomic_increment(key, delta);"
        case .distribution(let factor):
            store = "key.slot = bpf_log2l(delta / \(factor)); dist.atomic_increment(key);"
        }
        if measure != .count {
            entry = """
                RAW_TRACEPOINT_PROBE(irq_handler_entry)
                {
                    // TP_PROTO(int irq, struct irqaction *action)
                    \(cpuFilter)
                    u32 zero = 0;
                    u64 *tsp = start.lookup(&zero);
                    if (tsp)
                        *tsp = bpf_ktime_get_ns();
                    return 0;
                }
                """
            timing = """
                    u32 zero = 0;
                    u64 *tsp = start.lookup(&zero);
                    if (tsp == 0 || *tsp == 0)
                        return 0;   // missed the entry
                    u64 delta = bpf_ktime_get_ns() - *tsp;
                    *tsp = 0;
                """
        }
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/irq.h>
            #include <linux/irqdesc.h>
            #include <linux/interrupt.h>

            typedef struct irq_key {
                char name[32];
                u64 slot;
            } irq_key_t;

            // When this CPU's handler began: hard irq handlers do not nest on a CPU.
            BPF_PERCPU_ARRAY(start, u64, 1);
            BPF_HISTOGRAM(dist, irq_key_t);
            \(cpuTable)

            \(entry)

            RAW_TRACEPOINT_PROBE(irq_handler_exit)
            {
                // TP_PROTO(int irq, struct irqaction *action, int ret)
                \(cpuFilter)
                // IRQ_NONE: the handler said the interrupt was not its device's.
                if ((int)ctx->args[2] == IRQ_NONE)
                    return 0;
                \(timing)
                struct irqaction *action = (struct irqaction *)ctx->args[1];
                irq_key_t key = {.slot = 0 /* ignore */};
                bpf_probe_read_kernel_str(&key.name, sizeof(key.name), action->name);
                \(store)
                return 0;
            }

            """
    }
}

/// The BPF side of softirqs.
public enum SoftirqsProgram {
    /// The kernel's softirq names by vector (kernel/softirq.c's softirq_to_name).
    public static let names = ["hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched", "hrtimer", "rcu"]

    /// The name of vector `vector`, or the number when the kernel has more vectors than this list.
    public static func name(ofVector vector: Int) -> String {
        names.indices.contains(vector) ? names[vector] : String(vector)
    }

    /// The program; `filterCPU` keeps the CPU the tool writes into `cpu_filter`.
    public static func source(measure: IrqMeasure, filterCPU: Bool = false) -> String {
        let cpuFilter = filterCPU ? "if (bpf_get_smp_processor_id() != cpu_filter_value()) return 0;" : ""
        let header = """
            #include <uapi/linux/ptrace.h>

            typedef struct irq_key {
                u32 vec;
                u64 slot;
            } irq_key_t;

            // When this CPU's softirq began: softirqs do not nest on a CPU.
            BPF_PERCPU_ARRAY(start, u64, 1);
            BPF_HISTOGRAM(dist, irq_key_t);
            \(filterCPU ? TableFilters.value("cpu_filter") : "")

            """
        if measure == .count {
            return header + """
                RAW_TRACEPOINT_PROBE(softirq_entry)
                {
                    // TP_PROTO(unsigned int vec_nr)
                    \(cpuFilter)
                    irq_key_t key = {.slot = 0 /* ignore */};
                    key.vec = (u32)ctx->args[0];
                    dist.atomic_increment(key);
                    return 0;
                }

                """
        }
        let store: String
        if case .distribution(let factor) = measure {
            store = "key.slot = bpf_log2l(delta / \(factor)); dist.atomic_increment(key);"
        } else {
            store = "dist.atomic_increment(key, delta);"
        }
        return header + """
            RAW_TRACEPOINT_PROBE(softirq_entry)
            {
                // TP_PROTO(unsigned int vec_nr)
                \(cpuFilter)
                u32 zero = 0;
                u64 *tsp = start.lookup(&zero);
                if (tsp)
                    *tsp = bpf_ktime_get_ns();
                return 0;
            }

            RAW_TRACEPOINT_PROBE(softirq_exit)
            {
                // TP_PROTO(unsigned int vec_nr)
                \(cpuFilter)
                u32 zero = 0;
                u64 *tsp = start.lookup(&zero);
                if (tsp == 0 || *tsp == 0)
                    return 0;   // missed the entry
                u64 delta = bpf_ktime_get_ns() - *tsp;
                *tsp = 0;
                irq_key_t key = {};
                key.vec = (u32)ctx->args[0];
                \(store)
                return 0;
            }

            """
    }
}

extension IrqMeasure {
    /// The unit of the column or histogram: "count", "nsecs" or "usecs".
    public static func unit(count: Bool, nanoseconds: Bool) -> String {
        count ? "count" : nanoseconds ? "nsecs" : "usecs"
    }

    /// The totals table: "HARDIRQ ... TOTAL_usecs" then one row per handler,
    /// largest first, each value divided by `factor` (as bcc's `%d` of a division).
    public static func totals(title: String, width: Int, unit: String, factor: UInt64, rows: [(name: String, value: UInt64)]) -> String {
        var text = "\(CText.left(title, width)) \(CText.right("TOTAL_" + unit, 11))\n"
        for row in rows.sorted(by: { $0.value > $1.value }) {
            text += "\(CText.left(row.name, width)) \(CText.right(String(row.value / factor), 11))\n"
        }
        return text
    }
}
