import BPFObject
import EBPF
import Foundation
import Testing
@testable import BCC
import TestSupport

// bcc's dialect rules beyond the rewriter's tables and probes: static
// functions forced inline, lookup_or_init leaving the probe, tables in #if
// branches, a program's own struct named like a kernel type, a module's type
// the kernel's BTF lacks, and LSM_PROBE.

private func key32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func u64(_ bytes: [UInt8]?) -> UInt64? { bytes.map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } } }
private func runOnce(_ program: Program, arguments: [UInt64] = [0]) throws -> UInt32 {
    try program.testRun(context: arguments.flatMap { withUnsafeBytes(of: $0) { Array($0) } }).retval
}

extension BPFKernelTests {
    /// Seven parameters are more than a BPF call passes: the static function
    /// compiles and runs only because it is inlined, as bcc makes it.
    @Test func staticFunctionsAreAlwaysInline() throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_ARRAY(sums, u64, 1);
                static u64 weigh(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g) {
                    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g;
                }
                int sum(struct bpf_raw_tracepoint_args *ctx) {
                    u64 x = ctx->args[0];
                    u64 total = weigh(x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6);
                    sums.update(&(int){0}, &total);
                    return 0;
                }
                """)
        }) { b in
            _ = try runOnce(b.function(named: "sum"), arguments: [10])
            let expected: UInt64 = (1...7).map { UInt64($0) * UInt64(9 + $0) }.reduce(0, +)
            #expect(u64(try b.map(named: "sums").lookup(key: key32(0))) == expected)
            // One program and no bpf-to-bpf call: the function became part of it.
            let spec = try #require(b.object.spec.program(named: "sum"))
            #expect(b.object.spec.programs.count == 1)
            #expect(!spec.instructions.contains { $0.isCall && $0.source == 1 })
        }
    }

    /// lookup_or_init returns 0 from the probe when the insert fails (bcc's
    /// expansion); lookup_or_try_init gives NULL and lets the probe go on.
    @Test func lookupOrInitLeavesTheProbeWhenTheInsertFails() throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_HASH(full, u32, u64, 1);
                BPF_ARRAY(reached, u64, 2);
                int or_init(struct bpf_raw_tracepoint_args *ctx) {
                    u32 key = ctx->args[0];
                    u64 zero = 0;
                    u64 *value = full.lookup_or_init(&key, &zero);
                    *value += 1;
                    reached.increment(0);
                    return 7;
                }
                int or_try_init(struct bpf_raw_tracepoint_args *ctx) {
                    u32 key = ctx->args[0];
                    u64 zero = 0;
                    u64 *value = full.lookup_or_try_init(&key, &zero);
                    if (!value)
                        reached.increment(1);
                    return 9;
                }
                """)
        }) { b in
            let full = try b.map(named: "full"), reached = try b.map(named: "reached")
            // The map's one slot is taken: an insert of another key fails.
            try full.update(key: key32(1), value: withUnsafeBytes(of: UInt64(40)) { Array($0) })
            #expect(try runOnce(b.function(named: "or_init"), arguments: [2]) == 0)
            #expect(u64(try reached.lookup(key: key32(0))) == 0)
            #expect(try runOnce(b.function(named: "or_init"), arguments: [1]) == 7)
            #expect(u64(try reached.lookup(key: key32(0))) == 1)
            #expect(u64(try full.lookup(key: key32(1))) == 41)
            #expect(try runOnce(b.function(named: "or_try_init"), arguments: [3]) == 9)
            #expect(u64(try reached.lookup(key: key32(1))) == 1)
        }
    }

    /// A table declared in each branch of an #if is the one the preprocessor
    /// kept; a table in a branch it dropped does not exist.
    @Test(arguments: [true, false])
    func tablesInConditionalBranchesAreTheCompiledOnes(array: Bool) throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                #ifdef USE_ARRAY
                BPF_ARRAY(values, u64, 4);
                #else
                BPF_HASH(values, u32, u64, 8);
                #endif
                #if 0
                BPF_HASH(dropped, u32, u32);
                #endif
                int touch(struct bpf_raw_tracepoint_args *ctx) {
                    u32 key = 1;
                    u64 value = 5;
                    values.update(&key, &value);
                    return 0;
                }
                """, cflags: array ? ["-DUSE_ARRAY"] : [])
        }) { b in
            #expect(b.declarations.map(\.name) == ["values"])
            #expect(try b.declaration(named: "values").kind == (array ? .array : .hash))
            #expect(try b.map(named: "values").type == (array ? .array : .hash))
            #expect(throws: BCCError.self) { try b.map(named: "dropped") }
            _ = try runOnce(b.function(named: "touch"))
            #expect(u64(try b.map(named: "values").lookup(key: key32(1))) == 5)
        }
    }

    /// dcsnoop-style: the program's own struct nameidata (the kernel has one
    /// too) is the one its code and its events use.
    @Test func aProgramsOwnStructNamedLikeAKernelTypeWins() throws {
        let btf = try KernelBTF.shared()
        try #require(btf.firstType(named: "nameidata", kind: .struct) != nil, "this kernel's BTF has struct nameidata")
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                struct nameidata {
                    u32 pid;
                    u64 marker;
                    char comm[TASK_COMM_LEN];
                };
                BPF_RINGBUF_OUTPUT(events, 1);
                TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
                    struct nameidata data = {};
                    data.pid = bpf_get_current_pid_tgid() >> 32;
                    if (data.pid != TARGET_PID)
                        return 0;
                    data.marker = 0xc0ffee;
                    bpf_get_current_comm(data.comm, sizeof(data.comm));
                    events.ringbuf_output(&data, sizeof(data), 0);
                    return 0;
                }
                """, cflags: ["-DTARGET_PID=\(getpid())"])
        }) { b in
            #expect(b.eventTypes["events"] == "struct nameidata")
            var events: [DecodedEvent] = []
            try b["events"].openRingBuffer { data in events.append(try b["events"].event(data)) }
            let deadline = Date().addingTimeInterval(5)
            while events.isEmpty && Date() < deadline {
                _ = getppid()
                _ = try b.ringBufferPoll(timeout: 100)
            }
            let event = try #require(events.first)
            #expect(event.pid?.int == Int64(getpid()))
            #expect(event.marker?.int == 0xc0ffee)
        }
    }

    /// Renaming the header's colliding type takes a precompiled header of its
    /// own, built once per set of renamed types: measured here, and bounded.
    @Test func aCollidingTypeCostsOnePrecompiledHeaderOnce() throws {
        let environment = try KernelCompileEnvironment.current()
        func coldCompile(_ structName: String) throws -> Duration {
            // A fresh comment makes each compile a cache miss.
            let source = "// \(UUID())\nstruct \(structName) { u32 value; };\nint f(struct pt_regs *ctx) { struct \(structName) s = {}; return s.value; }\n"
            let clock = ContinuousClock()
            let start = clock.now
            let compiled = try BPFCompiler(environment: environment).compile(source: source, fileName: "collide.c", cflags: [], includeDirectory: nil)
            #expect(!compiled.fromCache)
            return clock.now - start
        }
        let plain = try coldCompile("swift_bcc_own_type")
        let first = try coldCompile("nameidata"), again = try coldCompile("nameidata")
        print("cold compile, no collision: \(plain); struct nameidata renamed: \(first) the first time (its header precompiled), \(again) after")
        #expect(again < plain * 3 + .seconds(1))
    }

    /// nfsslower-style: a type of a module whose BTF is not loaded is named in
    /// the error, with the module it likely belongs to.
    @Test func aModulesTypeIsReportedWithTheModuleAndItsMissingBTF() throws {
        let btf = try KernelBTF.shared()
        try #require(btf.firstType(named: "nfs_commit_data", kind: .struct) == nil, "this kernel has NFS built in")
        let error = #expect(throws: BCCError.self) {
            try BPF(text: """
                int trace_commit(struct pt_regs *ctx, struct nfs_commit_data *data) {
                    return data->args.count;
                }
                """)
        }
        guard case let .compileFailed(_, diagnostics)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        let message = try #require(diagnostics.first { $0.severity == .error }).message
        #expect(message.contains("struct nfs_commit_data is not a type of the running kernel"))
        #expect(message.contains("kernel module 'nfs'"))
        #expect(message.contains("BTF is absent") || message.contains("does not compile against"))
    }

    /// LSM_PROBE builds a BPF LSM program; where the kernel refuses BPF
    /// trampolines, loading it says so.
    @Test func lsmProbeIsBuiltAndNeedsTrampolines() throws {
        let source = """
            BPF_ARRAY(opens, u64, 1);
            LSM_PROBE(file_open, struct file *file) {
                opens.increment(0);
                return 0;
            }
            """
        let compiled = try BPFCompiler(environment: KernelCompileEnvironment.current())
            .compile(source: source, fileName: "lsm.c", cflags: [], includeDirectory: nil)
        let spec = try ObjectSpec(bytes: compiled.object)
        let program = try #require(spec.program(named: "lsm__file_open"))
        #expect(program.section.programType == .lsm)
        #expect(program.section.attachTarget == .lsm(hook: "file_open"))
        if Self.trampolinesAvailable {
            let b = try BPF(text: source)
            #expect(b.attachedProbes == ["lsm file_open -> lsm__file_open"])
            b.close()
        } else {
            #expect {
                try BPF(text: source)
            } throws: { error in
                guard case let BCCError.kernel(_, _, .notSupported(feature, _)) = error else { return false }
                return feature.contains("trampolines")
            }
        }
    }
}
