import Foundation
import ProbeSpec
import Testing

@Suite struct ExpressionAliasTests {
    @Test func argumentsAndReturnValueBecomeRegisters() {
        #expect(ExpressionAliases.rewrite("arg1 + arg6", kind: .userEntry) == "PT_REGS_PARM1(ctx) + PT_REGS_PARM6(ctx)")
        #expect(ExpressionAliases.rewrite("(int)retval < 0", kind: .userReturn) == "(int)PT_REGS_RC(ctx) < 0")
        #expect(ExpressionAliases.rewrite("$retval", kind: .kernelReturn) == "PT_REGS_RC(ctx)")
    }

    @Test func wholeIdentifiersOnlyAndNotInStringsOrMembers() {
        #expect(ExpressionAliases.rewrite("arg10 + my_arg1 + s->arg1 + s.arg2", kind: .userEntry) == "arg10 + my_arg1 + s->arg1 + s.arg2")
        #expect(ExpressionAliases.rewrite(#"STRCMP("arg1", arg1)"#, kind: .userEntry) == #"STRCMP("arg1", PT_REGS_PARM1(ctx))"#)
        #expect(ExpressionAliases.rewrite("retval", kind: .userEntry) == "retval")
    }

    @Test func taskAliasesAndTracepointArgs() {
        #expect(ExpressionAliases.rewrite("$pid == 1 && $tgid", kind: .tracepoint)
                == "(unsigned)(bpf_get_current_pid_tgid() & 0xffffffff) == 1 && (unsigned)(bpf_get_current_pid_tgid() >> 32)")
        #expect(ExpressionAliases.rewrite("args->arg1 + arg1", kind: .tracepoint) == "args->arg1 + arg1")
        #expect(ExpressionAliases.rewrite("$PID", kind: .userEntry) == "(bpf_get_current_pid_tgid() >> 32)")
    }

    @Test func argumentNumbers() {
        #expect(ExpressionAliases.argumentNumbers(in: "arg1 + arg3 * arg7 + x->arg2") == [1, 3])
    }
}

@Suite struct TraceFormatTests {
    @Test func rendersEveryKind() throws {
        let probe = try TraceProbe(parsing: #"f "%s=%d %u 0x%x %llx %c 100%% %K\n", a, b, c, d, e, f, g"#)
        let text = TraceFormat.render(probe.format!, conversions: probe.conversions, values: [
            .text("name"), .signed(-5), .unsigned(7), .unsigned(255), .unsigned(0xdead_beef), .signed(65), .text("vfs_read+0x10"),
        ])
        #expect(text == "name=-5 7 0xff deadbeef A 100% vfs_read+0x10\n")
    }

    @Test func missingValuesRenderEmpty() {
        #expect(TraceFormat.render("%d-%s", conversions: [.int, .string], values: [.signed(1)]) == "1-")
    }
}

@Suite struct GeneratedSourceTests {
    @Test func funccountIndexesProbesInOrder() {
        let points = [ProbePoint(kind: .userEntry, library: "/bin/x", target: "a"), ProbePoint(kind: .tracepoint, target: "sched:sched_switch")]
        let program = FuncCountSource.make(points: points, filter: TaskFilter(pid: 42))
        #expect(program.probes.map(\.functionName) == ["funccount_0", "funccount_1"])
        #expect(program.source.contains("BPF_ARRAY(counts, u64, 2);"))
        #expect(program.source.contains("int funccount_0(struct pt_regs *ctx) { return funccount_hit(0); }"))
        #expect(program.source.contains("int funccount_1(struct tracepoint__sched__sched_switch *args) { return funccount_hit(1); }"))
        #expect(program.source.contains("if ((u32)(__pid_tgid >> 32) != 42) { return 0; }"))
    }

    @Test func funclatencyPairsEntriesWithReturns() {
        let program = FuncLatencySource.make(functions: [ProbePoint(kind: .userEntry, library: "/bin/x", target: "f")],
                                             unit: .microseconds, perFunction: true, filter: TaskFilter())
        #expect(program.entries.map(\.point.kind) == [.userEntry])
        #expect(program.returns.map(\.point.kind) == [.userReturn])
        #expect(program.source.contains("delta /= 1000;"))
        #expect(program.source.contains("BPF_HISTOGRAM(dist, funclatency_key_t);"))
    }

    @Test func traceReadsUserStringsForUserProbesAndSyscallTracepoints() throws {
        let user = try TraceProbe(parsing: #"p:/bin/x:f "%s", arg1"#)
        let syscall = try TraceProbe(parsing: #"t:syscalls:sys_enter_openat "%s", args->filename"#)
        let kernel = try TraceProbe(parsing: #"t:sched:sched_process_exec "%s", args->comm"#)
        let program = TraceSource.make([user, syscall, kernel], options: TraceSource.Options())
        let sources = program.source.components(separatedBy: "BPF_RINGBUF_OUTPUT")
        #expect(sources[1].contains("bpf_probe_read_user_str"))
        #expect(sources[2].contains("bpf_probe_read_user_str"))
        #expect(sources[3].contains("bpf_probe_read_kernel_str") && !sources[3].contains("bpf_probe_read_user_str"))
        #expect(program.probes.map(\.eventsTable) == ["probe_f_1_events", "probe_sys_enter_openat_2_events", "probe_sched_process_exec_3_events"])
    }

    @Test func argdistEntryProbeForLatency() throws {
        let spec = try ArgdistProbe(parsing: "r:/bin/x:f(int n):u64:$latency:$entry(n) > 2", mode: .frequency)
        let program = ArgdistSource.make([("s", spec, .frequency)], filter: TaskFilter(), stringSize: 80)
        let probe = try #require(program.probes.first)
        #expect(probe.entry?.point.kind == .userEntry && probe.generated.point.kind == .userReturn)
        #expect(program.source.contains("if (!(__saved.n > 2)) { return 0; }"))
        #expect(program.source.contains("(bpf_ktime_get_ns() - __saved.__ts)"))
    }
}
