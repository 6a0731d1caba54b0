import EBPF
import BPFObject
import Testing
@testable import BCC

/// The guide's BPF_RINGBUF_OUTPUT section, both APIs.
let guideRingBufferProgram = """
    struct data_t {
        u32 pid;
        u64 ts;
        char comm[TASK_COMM_LEN];
    };

    // Creates a ringbuf called events with 8 pages of space, shared across all CPUs
    BPF_RINGBUF_OUTPUT(events, 8);

    int first_api_example(struct pt_regs *ctx) {
        struct data_t data = {};

        data.pid = bpf_get_current_pid_tgid();
        data.ts = bpf_ktime_get_ns();
        bpf_get_current_comm(&data.comm, sizeof(data.comm));

        events.ringbuf_output(&data, sizeof(data), 0 /* flags */);

        return 0;
    }

    int second_api_example(struct pt_regs *ctx) {
        struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t));
        if (!data) { // Failed to reserve space
            return 1;
        }

        data->pid = bpf_get_current_pid_tgid();
        data->ts = bpf_ktime_get_ns();
        bpf_get_current_comm(&data->comm, sizeof(data->comm));

        events.ringbuf_submit(data, 0 /* flags */);

        return 0;
    }
    """

private func rewrite(_ source: String) throws -> RewriteResult {
    try DialectRewriter(fileName: "prog.c", pageSize: 4096, possibleCPUs: 2).rewrite(source)
}

private func lineCount(_ text: String) -> Int { text.split(separator: "\n", omittingEmptySubsequences: false).count }

@Test func guideProgramRewritesToBTFMapsAndHelperCalls() throws {
    let result = try rewrite(guideRingBufferProgram)
    let body = result.body.text
    #expect(lineCount(body) == lineCount(guideRingBufferProgram))
    #expect(result.tables.map(\.name) == ["events"])
    #expect(result.tables.first?.kind == .ringBuffer)
    #expect(result.tables.first?.maxEntries == "32768")
    #expect(body.contains("__uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 32768); } events SEC(\".maps\")"))
    #expect(body.contains("events__lost SEC(\".maps\")"))
    #expect(body.contains("bpf_ringbuf_output((void *)&events, &data, sizeof(data), 0 /* flags */)"))
    #expect(body.contains("bpf_ringbuf_reserve((void *)&events, sizeof(struct data_t), 0)"))
    #expect(body.contains("bpf_ringbuf_submit((void *)(data), 0 /* flags */)"))
    #expect(body.contains("SEC(\"kprobe\") int first_api_example(struct pt_regs *ctx) {"))
    #expect(!body.contains("events.ringbuf"))
    #expect(result.functions.map(\.name) == ["first_api_example", "second_api_example"])
    #expect(result.functions.allSatisfy { $0.attachTarget == .none })
    // Functions attached by hand get a bare section: it only picks the program type.
    #expect(result.functions.map(\.section) == ["kprobe", "kprobe"])
    #expect(result.eventTypes == ["events": "struct data_t"])
}

@Test func reserveTargetRecordsTheEventTypeWithoutSubmit() throws {
    let result = try rewrite("""
        struct rec { int a; };
        BPF_RINGBUF_OUTPUT(rb, 1);
        int f(void *ctx) { struct rec *r = rb.ringbuf_reserve(sizeof(*r)); if (r) rb.ringbuf_discard(r, 0); return 0; }
        """)
    #expect(result.eventTypes == ["rb": "struct rec"])
}

@Test func ringBufferPageCountMustBeAPowerOfTwo() throws {
    let error = #expect(throws: DialectError.self) {
        try rewrite("struct x { int a; };\n\nBPF_RINGBUF_OUTPUT(events, 6);\n")
    }
    guard case let .compileFailed(file, diagnostics)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
    #expect(file == "prog.c")
    #expect(diagnostics.count == 1)
    #expect(diagnostics.first?.line == 3)
    #expect(diagnostics.first?.column == 28)
    #expect(diagnostics.first?.sourceLine == "BPF_RINGBUF_OUTPUT(events, 6);")
    #expect(diagnostics.first?.message.contains("power of two") == true)
}

@Test func tableMacrosTakeBccDefaults() throws {
    let result = try rewrite("""
        #include <uapi/linux/ptrace.h>
        #include <linux/sched.h>
        BPF_HASH(counts);
        BPF_ARRAY(slots, u32, 4);
        BPF_HISTOGRAM(dist);
        BPF_HISTOGRAM(by_key, u64, 16);
        BPF_PERCPU_HASH(per_cpu_counts, u32);
        BPF_PERCPU_ARRAY(per_cpu_slots);
        BPF_LRU_HASH(recent, u32, u32, 100);
        BPF_STACK_TRACE(stacks, 64);
        BPF_PERF_OUTPUT(perf_events);
        BPF_TABLE("hash", u32, u64, explicit_table, 7);
        """)
    let tables = Dictionary(uniqueKeysWithValues: result.tables.map { ($0.name, $0) })
    #expect(tables["counts"]?.keyType == "u64" && tables["counts"]?.leafType == "u64" && tables["counts"]?.maxEntries == "10240")
    #expect(tables["slots"]?.keyType == "int" && tables["slots"]?.leafType == "u32" && tables["slots"]?.maxEntries == "4")
    #expect(tables["dist"]?.mapType == .array && tables["dist"]?.maxEntries == "64")
    #expect(tables["by_key"]?.mapType == .hash)
    #expect(tables["per_cpu_counts"]?.mapType == .perCPUHash)
    #expect(tables["per_cpu_slots"]?.mapType == .perCPUArray)
    #expect(tables["recent"]?.mapType == .lruHash && tables["recent"]?.maxEntries == "100")
    #expect(tables["stacks"]?.mapType == .stackTrace)
    #expect(tables["perf_events"]?.mapType == .perfEventArray && tables["perf_events"]?.maxEntries == "2")
    #expect(tables["explicit_table"]?.keyType == "u32" && tables["explicit_table"]?.maxEntries == "7")
    // Kernel includes are dropped without moving lines.
    #expect(result.body.text.hasPrefix("\n\nstruct {"))
}

@Test func tracepointProbeAndConventionsAutoAttach() throws {
    let source = """
        TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
            return args->dfd;
        }
        int kprobe__do_nanosleep(struct pt_regs *ctx, void *t, int mode) { return mode; }
        int raw_tracepoint__sched_switch(struct bpf_raw_tracepoint_args *ctx) { return 0; }
        RAW_TRACEPOINT_PROBE(sys_enter) { return 0; }
        KFUNC_PROBE(do_unlinkat, int dfd, struct filename *name) { return dfd; }
        static int helper(int x) { return x; }
        """
    let result = try rewrite(source)
    #expect(result.tracepoints == ["syscalls:sys_enter_openat"])
    #expect(result.functions.map(\.attachTarget) == [
        .tracepoint(category: "syscalls", name: "sys_enter_openat"), .kprobe(function: "do_nanosleep", offset: 0, isReturn: false),
        .rawTracepoint(name: "sched_switch"), .rawTracepoint(name: "sys_enter"), .tracing(function: "do_unlinkat", isExit: false),
    ])
    let body = result.body.text
    #expect(body.contains("SEC(\"tracepoint/syscalls/sys_enter_openat\") int tracepoint__syscalls__sys_enter_openat(struct tracepoint__syscalls__sys_enter_openat *args) {"))
    #expect(body.contains("int kprobe__do_nanosleep(struct pt_regs *ctx) { void * t = (void *)PT_REGS_PARM1(ctx); int mode = (int)PT_REGS_PARM2(ctx);"))
    #expect(body.contains("(int)ctx[0], (struct filename *)ctx[1]"))
    #expect(body.contains("static int helper(int x)") && !body.contains("SEC(\"kprobe\") static"))
    #expect(lineCount(body) == lineCount(source), "\(body)")
}

@Test func mapMethodsInsideArgumentsAndStringsAreHandled() throws {
    let source = """
        BPF_HASH(a, u32, u32);
        BPF_HASH(b, u32, u32);
        int f(void *ctx) {
            u32 k = 1, z = 0;
            /* a.lookup(&k) in a comment stays */
            bpf_trace_printk("a.lookup(&k)\\n");
            a.update(&k, b.lookup_or_try_init(&k,
                &z));
            return 0;
        }
        """
    let result = try rewrite(source)
    let body = result.body.text
    #expect(body.contains("/* a.lookup(&k) in a comment stays */"))
    #expect(body.contains("\"a.lookup(&k)\\n\""))
    #expect(body.contains("bpf_map_update_elem((void *)&a, &k, ({ void *__bcc_key = (&k); typeof(b.value) __bcc_leaf = bpf_map_lookup_elem((void *)&b, __bcc_key);"))
    #expect(lineCount(body) == lineCount(source), "\(body)")
    // A column in the rewritten text maps back to the user's line and column.
    let original = LineIndex(result.original)
    let rewrittenLine = Array(body.split(separator: "\n", omittingEmptySubsequences: false)[6].utf8)
    let column = try #require(rewrittenLine.indices.first { rewrittenLine[$0...].starts(with: Array("&z".utf8)) }) + 1
    #expect(result.body.originalLocation(line: 7, column: column, output: LineIndex(result.body.bytes), original: original) == (8, 9))
}

@Test func unknownMethodAndWrongArityNameTheUserLine() throws {
    let error = #expect(throws: DialectError.self) {
        try rewrite("BPF_HASH(h);\nint f(void *ctx) {\n  h.frobnicate(1);\n  h.update(1);\n  return 0;\n}\n")
    }
    guard case let .compileFailed(_, diagnostics)? = error else { Issue.record("wrong error"); return }
    #expect(diagnostics.map(\.line) == [3, 4])
    #expect(diagnostics[0].message == "unknown method 'frobnicate' on table 'h'")
    #expect(diagnostics[1].message == "h.update takes 2 arguments, got 1")
}

@Test func tracepointFormatBecomesArgsStruct() throws {
    let format = """
        name: sys_enter_openat
        ID: 700
        format:
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
        \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
        \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

        \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
        \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
        \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
        \tfield:__data_loc char[] name;\toffset:32;\tsize:4;\tsigned:0;
        \tfield:char comm[16];\toffset:36;\tsize:16;\tsigned:0;

        print fmt: "dfd: 0x%08lx"
        """
    let args = TracepointArgsStruct(try TracepointFormat(parsing: format))
    #expect(args.cDefinition(structName: "t") == "struct t { u16 common_type; u8 common_flags; u8 common_preempt_count; s32 common_pid; "
        + "s32 __syscall_nr; char __pad5[4]; u64 dfd; const char * filename; u32 data_loc_name; char comm[16]; };")
}

@Test func mapMethodInsideAMacroIsAnErrorOnItsLine() throws {
    let error = #expect(throws: DialectError.self) {
        try rewrite("BPF_HASH(h, u32, u64);\n#define BUMP(k) h.increment(k)\nint f(void *ctx) { BUMP(1); return 0; }\n")
    }
    guard case let .compileFailed(_, diagnostics)? = error else { Issue.record("wrong error"); return }
    #expect(diagnostics.map(\.line) == [2])
    #expect(diagnostics.first?.column == 17)
    #expect(diagnostics.first?.message == "cannot use map method 'h.increment' inside a macro; call it in the function")
}
