/// The BPF program of trace: per probe, an event struct with the task's ids,
/// time, CPU, stack ids and one field per format argument, reserved in a ring
/// buffer of its own (so large string arguments never sit on the BPF stack).
public enum TraceSource {
    /// What every probe records besides its arguments.
    public struct Options: Equatable, Sendable {
        /// Processes, threads and CPU to keep.
        public var filter: TaskFilter
        /// Only this user id (bcc's --uid).
        public var uid: UInt32?
        /// The tracing process itself, left out unless bcc's -S.
        public var excludedProcess: Int32?
        /// Bytes read for each %s argument (bcc's -Z).
        public var stringSize: Int
        /// Record kernel stacks (-K) and user stacks (-U).
        public var kernelStack: Bool
        public var userStack: Bool
        /// Ring buffer pages per probe (bcc's -b).
        public var ringPages: Int
        /// STRCMP's literals are C initializers of binary values (bcc's -B).
        public var binaryCompare: Bool
        /// Keep the tasks under the cgroup in entry 0 of this BPF_CGROUP_ARRAY (bcc's -c), which the tool fills.
        public var cgroupArray: String?
        /// The `#include` lines to start with (bcc's -I, see ``HeaderIncludes``).
        public var includes: String
        /// Stacks as build ids and offsets (BPF_STACK_TRACE_BUILDID), for bcc's -s.
        public var buildIDStacks: Bool

        /// Options with bcc's defaults.
        public init(filter: TaskFilter = TaskFilter(), uid: UInt32? = nil, excludedProcess: Int32? = nil, stringSize: Int = 80,
                    kernelStack: Bool = false, userStack: Bool = false, ringPages: Int = 64, binaryCompare: Bool = false,
                    cgroupArray: String? = nil, includes: String = "", buildIDStacks: Bool = false) {
            self.filter = filter
            self.uid = uid
            self.excludedProcess = excludedProcess
            self.stringSize = stringSize
            self.kernelStack = kernelStack
            self.userStack = userStack
            self.ringPages = ringPages
            self.binaryCompare = binaryCompare
            self.cgroupArray = cgroupArray
            self.includes = includes
            self.buildIDStacks = buildIDStacks
        }
    }

    /// One generated probe and the names of its tables.
    public struct Probe: Sendable {
        /// The attach point and handler.
        public var generated: GeneratedProbe
        /// The parsed probe it comes from.
        public var trace: TraceProbe
        /// Its ring buffer.
        public var eventsTable: String
        /// Its stack trace table, when stacks are recorded.
        public var stacksTable: String?
    }

    /// The program for `probes` (their points concrete).
    public static func make(_ probes: [TraceProbe], options: Options) -> (source: String, probes: [Probe]) {
        var text = options.includes
        if let cgroupArray = options.cgroupArray { text += "BPF_CGROUP_ARRAY(\(cgroupArray), 1);\n" }
        var generated: [Probe] = []
        var nextStreq = 0
        for (index, trace) in probes.enumerated() {
            let name = "probe_\(GeneratedProbe.identifier(display(trace.point)))_\(index + 1)"
            let probe = GeneratedProbe(point: trace.point, functionName: name)
            let stacks = options.kernelStack || options.userStack ? "\(name)_stacks" : nil
            generated.append(Probe(generated: probe, trace: trace, eventsTable: "\(name)_events", stacksTable: stacks))
            text += probeSource(trace, probe: probe, events: "\(name)_events", stacks: stacks, options: options,
                                nextStreq: &nextStreq)
        }
        return (text, generated)
    }

    /// The FUNC column: the function, the tracepoint's event or the USDT probe's name, as bcc shows it.
    public static func display(_ point: ProbePoint) -> String {
        switch point.kind {
        case .tracepoint: return point.tracepoint?.event ?? point.target
        case .usdt: return point.usdtProbe?.name ?? point.target
        default: return point.target
        }
    }

    private static func probeSource(_ trace: TraceProbe, probe: GeneratedProbe, events: String, stacks: String?, options: Options,
                                    nextStreq: inout Int) -> String {
        let kind = trace.point.kind
        var fields = ""
        var assignments = ""
        var streqFunctions = ""
        let syscall = trace.point.tracepoint?.category == "syscalls"
        // bcc's STRCMP calls, then its aliases (arg1, retval, $pid ...).
        func rewritten(_ marked: (expression: String, isUser: Bool)) -> String {
            let strcmp = StrcmpRewrite.rewrite(marked.expression, binary: options.binaryCompare,
                                               user: marked.isUser || kind.isUser || syscall, nextID: &nextStreq)
            streqFunctions += strcmp.functions
            return ExpressionAliases.rewrite(strcmp.expression, kind: kind)
        }
        for (position, (conversion, argument)) in zip(trace.conversions, trace.arguments).enumerated() {
            let (expression, isUser) = userMarked(argument)
            let value = rewritten((expression, isUser))
            if conversion == .string {
                fields += "char v\(position)[\(options.stringSize)]; "
                let read = isUser || kind.isUser || syscall
                    ? "bpf_probe_read_user_str" : "bpf_probe_read_kernel_str"
                assignments += "__data->v\(position)[0] = 0; if ((\(value)) != 0) { \(read)(&__data->v\(position), sizeof(__data->v\(position)), (void *)(\(value))); } "
            } else {
                fields += "\(conversion.cType) v\(position); "
                assignments += "__data->v\(position) = (\(conversion.cType))(\(value)); "
            }
        }
        let filter = trace.filter.map { "if (!(\(rewritten(userMarked($0))))) { return 0; } " } ?? ""
        var prologue = "u64 __pid_tgid = bpf_get_current_pid_tgid(); u32 __tgid = __pid_tgid >> 32; u32 __pid = __pid_tgid; "
        if let excluded = options.excludedProcess { prologue += "if (__tgid == \(excluded)) { return 0; } " }
        if let pid = options.filter.pid { prologue += "if (__tgid != \(pid)) { return 0; } " }
        if let tid = options.filter.tid { prologue += "if (__pid != \(tid)) { return 0; } " }
        if let cpu = options.filter.cpu { prologue += "if (bpf_get_smp_processor_id() != \(cpu)) { return 0; } " }
        if let uid = options.uid { prologue += "if ((u32)bpf_get_current_uid_gid() != \(uid)) { return 0; } " }
        if let cgroupArray = options.cgroupArray { prologue += "if (\(cgroupArray).check_current_task(0) <= 0) { return 0; } " }
        prologue += ExpressionAliases.usdtArgumentReads(kind: kind, expressions: trace.arguments + (trace.filter.map { [$0] } ?? []))
        let context = kind == .tracepoint ? "args" : "ctx"
        let kernelStack = options.kernelStack && stacks != nil ? "\(stacks!).get_stackid(\(context), 0)" : "-1"
        let userStack = options.userStack && stacks != nil ? "\(stacks!).get_stackid(\(context), BPF_F_USER_STACK)" : "-1"
        let structName = "\(probe.functionName)_data_t"
        return streqFunctions + """
            struct \(structName) { u64 timestamp_ns; u32 tgid; u32 pid; int cpu; int kernel_stack_id; int user_stack_id; char comm[TASK_COMM_LEN]; \(fields)};
            BPF_RINGBUF_OUTPUT(\(events), \(options.ringPages));
            \(stacks.map { "\(options.buildIDStacks ? "BPF_STACK_TRACE_BUILDID" : "BPF_STACK_TRACE")(\($0), 1024);" } ?? "")
            \(probe.definitionHead(parameters: trace.parameters ?? [])) {
                \(prologue)
                \(filter)
                struct \(structName) *__data = \(events).ringbuf_reserve(sizeof(struct \(structName)));
                if (!__data) { return 0; }
                __data->timestamp_ns = bpf_ktime_get_ns();
                __data->tgid = __tgid;
                __data->pid = __pid;
                __data->cpu = bpf_get_smp_processor_id();
                __data->kernel_stack_id = \(kernelStack);
                __data->user_stack_id = \(userStack);
                bpf_get_current_comm(&__data->comm, sizeof(__data->comm));
                \(assignments)
                \(events).ringbuf_submit(__data, 0);
                return 0;
            }

            """
    }

    /// An argument without bcc's `@user` marks, and whether it had one (the pointer is a user address).
    static func userMarked(_ argument: String) -> (expression: String, isUser: Bool) {
        var stripped = argument
        while let mark = stripped.firstRange(of: "@user") { stripped.removeSubrange(mark) }
        return (stripped, stripped != argument)
    }
}
