import Foundation
import Testing
import TestSupport

/// `swift-bcc list`, `info` and `btf` on this kernel, checked against tracefs,
/// the kernel's BTF and what the kernel is known to lack (kprobes, trampolines).
@Suite struct DiscoveryCommandTests {
    static func swiftBCC(_ arguments: [String]) throws -> TestSupport.ProcessResult {
        let executable = TestSupport.builtProduct("swift-bcc")
        try #require(FileManager.default.isExecutableFile(atPath: executable), "swift-bcc is built by `swift test`")
        return try TestSupport.run(executable, arguments)
    }

    static func tracefsEvents() throws -> [String] {
        let root = FileManager.default.fileExists(atPath: "/sys/kernel/tracing/available_events") ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing"
        // tracefs files report size 0: read until the end rather than by size.
        let handle = try #require(FileHandle(forReadingAtPath: root + "/available_events"))
        defer { try? handle.close() }
        let data = try handle.readToEnd() ?? Data()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func listsTracepointsOfACategoryAsTracefsHasThem() throws {
        let result = try Self.swiftBCC(["list", "sched:*"])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try Self.tracefsEvents().filter { $0.hasPrefix("sched:") }
        #expect(!expected.isEmpty)
        #expect(result.stdout.split(separator: "\n").map(String.init) == expected)
        let prefixed = try Self.swiftBCC(["list", "t:sched:sched_process_e*"])
        #expect(Set(prefixed.stdout.split(separator: "\n").map(String.init)) == Set(expected.filter { $0.hasPrefix("sched:sched_process_e") }))
    }

    @Test func verboseListingPrintsTheFormatsFields() throws {
        let result = try Self.swiftBCC(["list", "-v", "syscalls:sys_enter_openat"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("syscalls:sys_enter_openat\n"))
        #expect(result.stdout.contains("    const char * filename;\n"), "\(result.stdout)")
        #expect(result.stdout.contains("    int flags;\n"))
        #expect(!result.stdout.contains("common_pid"))
    }

    @Test func listsRawTracepointsLibraryFunctionsAndKernelFunctions() throws {
        let raw = try Self.swiftBCC(["list", "rawtp:sched_switch"])
        #expect(raw.stdout == "rawtp:sched_switch\n", "\(raw.stderr)")
        let libc = try Self.swiftBCC(["list", "c:getpp*"])
        #expect(libc.stdout.split(separator: "\n").contains { $0.hasSuffix(":getppid") && $0.contains("libc") }, "\(libc.stdout)")
        let kernel = try Self.swiftBCC(["list", "p::vfs_read"])
        #expect(kernel.stdout == "vfs_read\n", "\(kernel.stderr)")
        let bad = try Self.swiftBCC(["list", "x:y:z"])
        #expect(bad.status != 0 && bad.stderr.contains("at column 1"), "\(bad.stderr)")
    }

    /// USDT probes of a binary built here (Tests/Fixtures/usdt_target.c), in the form the tools take.
    @Test func listsTheUSDTProbesOfABinary() throws {
        let binary = try TestSupport.compileHostProgram("usdt_target.c").path
        let all = try Self.swiftBCC(["list", "u:\(binary)"])
        let lines = all.stdout.split(separator: "\n").map(String.init)
        for probe in ["registers", "memory", "constants", "globals", "sites", "guarded"] {
            #expect(lines.contains("u:\(binary):swiftbcc:\(probe)"), "\(all.stdout) \(all.stderr)")
        }
        let verbose = try Self.swiftBCC(["list", "-v", "u:\(binary):swiftbcc:sit*"])
        // Two sites of one probe; the first passes a register and an immediate 22.
        let described = verbose.stdout.split(separator: "\n").map(String.init)
        #expect(described.count == 2 && described[0] == "u:\(binary):swiftbcc:sites"
                && described[1].hasPrefix("    2 locations, arguments: -4@%") && described[1].hasSuffix(" 8@$22"),
                "\(verbose.stdout) \(verbose.stderr)")
        let none = try Self.swiftBCC(["list", "u:\(binary):nothing*"])
        #expect(none.status == 0 && none.stdout.isEmpty)
    }

    @Test func infoReportsWhatTheProbesFind() throws {
        let result = try Self.swiftBCC(["info"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        func row(_ name: String) -> String? { lines.first { $0.hasPrefix("  \(name) ") } }
        var system = utsname()
        uname(&system)
        let release = withUnsafeBytes(of: &system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(lines.first?.hasPrefix("Kernel: \(release) ") == true)
        for supported in ["BPF_PROG_TYPE_XDP", "BPF_PROG_TYPE_TRACEPOINT", "BPF_PROG_TYPE_RAW_TRACEPOINT", "BPF_PROG_TYPE_SCHED_CLS",
                          "BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_LPM_TRIE", "BPF_MAP_TYPE_HASH_OF_MAPS", "BPF_MAP_TYPE_CGROUP_STORAGE"] {
            #expect(row(supported)?.hasSuffix(" yes") == true, "\(supported): \(String(describing: row(supported)))")
        }
        #expect(row("BPF_PROG_TYPE_UNSPEC")?.hasSuffix(" no") == true)
        #expect(row("BPF_PROG_TYPE_TRACING")?.contains("?") == true)
        // This kernel: kprobes absent, trampolines refused, uprobes and tcx present.
        #expect(row("the kprobe PMU (perf_event_open kprobes)")?.contains(" no ") == true)
        #expect(row("the uprobe PMU (perf_event_open uprobes)")?.hasSuffix(" yes") == true)
        #expect(row("BPF trampolines (fentry, fexit, LSM, iterators)")?.contains(" no: ") == true)
        let helpers = try #require(lines.first { $0.hasPrefix("Helpers: ") }.flatMap { Int($0.dropFirst("Helpers: ".count)) })
        #expect(helpers > 150)
        let all = try Self.swiftBCC(["info", "--helpers"])
        #expect(all.stdout.contains("  bpf_ringbuf_output\n") && all.stdout.contains("  bpf_probe_read_kernel\n"))
    }

    @Test func btfPrintsAKernelTypesDefinition() throws {
        let task = try Self.swiftBCC(["btf", "struct task_struct"])
        #expect(task.status == 0, "\(task.stderr)")
        #expect(task.stdout.hasPrefix("struct task_struct {\n"))
        #expect(task.stdout.contains("\tpid_t pid;\n") && task.stdout.contains("\tpid_t tgid;\n"))
        #expect(task.stdout.hasSuffix("};\n"))
        let pid = try Self.swiftBCC(["btf", "pid_t"])
        #expect(pid.stdout == "typedef __kernel_pid_t pid_t;\n")
        let missing = try Self.swiftBCC(["btf", "struct no_such_kernel_type"])
        #expect(missing.status != 0 && missing.stderr.contains("no type 'struct no_such_kernel_type'"), "\(missing.stderr)")
    }
}

extension DiscoveryCommandTests {
    /// `swift-bcc check` loads every function without attaching: a helper
    /// the verifier refuses fails the file (with its line), `--init-only`
    /// loads only what BPF(text:) loads, as bcc before an attach.
    @Test func checkLoadsEveryFunctionOrOnlyTheAutoAttachedOnes() throws {
        let directory = try TestSupport.temporaryDirectory("check")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("prog.c")
        try """
            BPF_ARRAY(hits, u64, 1);
            int dummy(void *ctx) {
                u64 far = 4096;
                return *(u64 *)((char *)ctx + far);
            }
            TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                hits.atomic_increment(0);
                return 0;
            }
            """.write(to: file, atomically: true, encoding: .utf8)
        let every = try Self.swiftBCC(["check", file.path])
        #expect(every.status == 1)
        #expect(every.stdout.hasPrefix("\(file.path): failed\n"), "\(every.stdout)")
        #expect(every.stdout.contains("function 'dummy'") && every.stdout.contains("prog.c:4"), "\(every.stdout)")
        let initOnly = try Self.swiftBCC(["check", "--init-only", file.path])
        #expect(initOnly.status == 0, "\(initOnly.stdout)\(initOnly.stderr)")
        #expect(initOnly.stdout == "\(file.path): ok (2 functions)\n")
    }
}
