// hardirqs' and softirqs' BPF programs: time in (or count of) hard and soft
// interrupt handlers. softirqs uses the irq:softirq_entry/exit tracepoints as
// bcc does; hardirqs the irq_handler_entry/exit raw tracepoints, whose
// struct irqaction names the handler (bcc reads the tracepoint's copy).

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
    /// The program; `cpu` keeps one CPU.
    public static func source(measure: IrqMeasure, cpu: Int? = nil) -> String {
        let cpuFilter = cpu.map { "if (cpu != \($0)) { return 0; }" } ?? ""
        let store: String
        switch measure {
        case .count:
            store = "irq_key_t key = {.slot = 0 /* ignore */}; bpf_probe_read_kernel(&key.name, sizeof(key.name), namep->name); dist.atomic_increment(key);"
        case .total:
            store = "irq_key_t key = {.slot = 0 /* ignore */}; bpf_probe_read_kernel(&key.name, sizeof(key.name), namep->name); dist.atomic_increment(key, delta);"
        case .distribution(let factor):
            store = "irq_key_t key = {.slot = bpf_log2l(delta / \(factor))}; bpf_probe_read_kernel(&key.name, sizeof(key.name), namep->name); dist.atomic_increment(key);"
        }
        let timed = measure != .count
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/irq.h>
            #include <linux/irqdesc.h>
            #include <linux/interrupt.h>

            // The cpu is part of the key: an irq that interrupts the idle task has tid 0 on every CPU.
            typedef struct entry_key {
                u32 tid;
                u32 cpu_id;
            } entry_key_t;

            typedef struct irq_key {
                char name[32];
                u64 slot;
            } irq_key_t;

            typedef struct irq_name {
                char name[32];
            } irq_name_t;

            BPF_HASH(start, entry_key_t);
            BPF_HASH(irqnames, entry_key_t, irq_name_t);
            BPF_HISTOGRAM(dist, irq_key_t);

            RAW_TRACEPOINT_PROBE(irq_handler_entry)
            {
                // TP_PROTO(int irq, struct irqaction *action)
                struct irqaction *action = (struct irqaction *)ctx->args[1];
                u64 ts = bpf_ktime_get_ns();
                irq_name_t name = {};
                entry_key_t key = {};
                u32 cpu = bpf_get_smp_processor_id();
                \(cpuFilter)
                key.tid = bpf_get_current_pid_tgid();
                key.cpu_id = cpu;
                bpf_probe_read_kernel_str(&name.name, sizeof(name.name), action->name);
                irqnames.update(&key, &name);
                \(timed ? "start.update(&key, &ts);" : "")
                return 0;
            }

            RAW_TRACEPOINT_PROBE(irq_handler_exit)
            {
                // TP_PROTO(int irq, struct irqaction *action, int ret)
                int ret = (int)ctx->args[2];
                entry_key_t entry = {};
                u32 cpu = bpf_get_smp_processor_id();
                \(cpuFilter)
                entry.tid = bpf_get_current_pid_tgid();
                entry.cpu_id = cpu;
                // IRQ_NONE: the handler said the interrupt was not its device's.
                if (ret != IRQ_NONE) {
                    irq_name_t *namep = irqnames.lookup(&entry);
                    if (namep == 0)
                        return 0;   // missed the entry
                    \(timed ? """
                    u64 *tsp = start.lookup(&entry);
                    if (tsp == 0)
                        return 0;   // missed the entry
                    u64 delta = bpf_ktime_get_ns() - *tsp;
                    """ : "")
                    \(store)
                }
                start.delete(&entry);
                irqnames.delete(&entry);
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

    /// The program; `cpu` keeps one CPU.
    public static func source(measure: IrqMeasure, cpu: Int? = nil) -> String {
        let cpuFilter = cpu.map { "if (cpu != \($0)) { return 0; }" } ?? ""
        let header = """
            #include <uapi/linux/ptrace.h>

            typedef struct entry_key {
                u32 pid;
                u32 cpu;
            } entry_key_t;

            typedef struct irq_key {
                u32 vec;
                u64 slot;
            } irq_key_t;

            typedef struct account_val {
                u64 ts;
                u32 vec;
            } account_val_t;

            BPF_HASH(start, entry_key_t, account_val_t);
            BPF_HISTOGRAM(dist, irq_key_t);

            """
        if measure == .count {
            return header + """
                TRACEPOINT_PROBE(irq, softirq_entry)
                {
                    u32 cpu = bpf_get_smp_processor_id();
                    \(cpuFilter)
                    irq_key_t key = {.slot = 0 /* ignore */};
                    key.vec = args->vec;
                    dist.atomic_increment(key);
                    return 0;
                }

                """
        }
        let store: String
        if case .distribution(let factor) = measure {
            store = "key.vec = valp->vec; key.slot = bpf_log2l(delta / \(factor)); dist.atomic_increment(key);"
        } else {
            store = "key.vec = valp->vec; dist.atomic_increment(key, delta);"
        }
        return header + """
            TRACEPOINT_PROBE(irq, softirq_entry)
            {
                account_val_t val = {};
                entry_key_t key = {};
                u32 cpu = bpf_get_smp_processor_id();
                \(cpuFilter)
                key.pid = bpf_get_current_pid_tgid();
                key.cpu = cpu;
                val.ts = bpf_ktime_get_ns();
                val.vec = args->vec;
                start.update(&key, &val);
                return 0;
            }

            TRACEPOINT_PROBE(irq, softirq_exit)
            {
                irq_key_t key = {};
                entry_key_t entry_key = {};
                u32 cpu = bpf_get_smp_processor_id();
                \(cpuFilter)
                entry_key.pid = bpf_get_current_pid_tgid();
                entry_key.cpu = cpu;
                account_val_t *valp = start.lookup(&entry_key);
                if (valp == 0)
                    return 0;   // missed the entry
                u64 delta = bpf_ktime_get_ns() - valp->ts;
                \(store)
                start.delete(&entry_key);
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
