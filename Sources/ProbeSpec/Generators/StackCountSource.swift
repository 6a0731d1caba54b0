/// The BPF program of stackcount: at each probe hit, the kernel and/or user
/// stack ids (and with -P the process and its name) become a key whose count
/// goes up, as bcc's stackcount.
public enum StackCountSource {
    /// Which stacks to record.
    public struct Stacks: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The kernel stack (bcc's -K alone).
        public static let kernel = Stacks(rawValue: 1)
        /// The user stack (bcc's -U alone).
        public static let user = Stacks(rawValue: 2)
    }

    /// The program for `points`; `perProcess` keys by process (bcc's -P, implied by -p).
    public static func make(points: [ProbePoint], stacks: Stacks, perProcess: Bool, filter: TaskFilter)
        -> (source: String, probes: [GeneratedProbe])
    {
        let user = stacks.contains(.user) ? "stack_traces.get_stackid(ctx, BPF_F_USER_STACK)" : "-1"
        let kernel = stacks.contains(.kernel) ? "stack_traces.get_stackid(ctx, 0)" : "-1"
        let process = perProcess
            ? "key.tgid = bpf_get_current_pid_tgid() >> 32; bpf_get_current_comm(&key.name, sizeof(key.name));"
            : "key.tgid = 0xffffffff;"
        var text = """
            struct stackcount_key {
                u32 tgid;
                int user_stack_id;
                int kernel_stack_id;
                char name[TASK_COMM_LEN];
            };
            BPF_HASH(counts, struct stackcount_key);
            BPF_STACK_TRACE(stack_traces, 1024);

            static __always_inline int stackcount_hit(void *ctx) {
                \(filter.statements)
                struct stackcount_key key = {};
                \(process)
                key.user_stack_id = \(user);
                key.kernel_stack_id = \(kernel);
                counts.atomic_increment(key);
                return 0;
            }

            """
        var probes: [GeneratedProbe] = []
        for (index, point) in points.enumerated() {
            let probe = GeneratedProbe(point: point, functionName: "stackcount_\(index)")
            probes.append(probe)
            let context = point.kind == .tracepoint ? "args" : "ctx"
            text += "\(probe.definitionHead()) { return stackcount_hit(\(context)); }\n"
        }
        return (text, probes)
    }
}
