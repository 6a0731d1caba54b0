import Foundation
import Testing
import TestSupport

// `swift-bcc run` as a newcomer meets it: errors that lead to the fix, a
// duration that means tracing time, nothing left behind.

/// Runs `swift-bcc ARGUMENTS` with extra `environment`, stdout and stderr
/// in files under `directory`; `onStderr` sees stderr as it grows and may
/// return false to stop waiting. Returns the process, stdout and stderr.
private func runSwiftBCC(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                         prefix: [String] = [], timeout: TimeInterval = 90,
                         onStderr: (String) -> Bool = { _ in true }) throws -> (Process, String, String) {
    let executable = TestSupport.builtProduct("swift-bcc")
    try #require(FileManager.default.isExecutableFile(atPath: executable), "swift-bcc is built by `swift test`")
    let outputPath = directory.appendingPathComponent("stdout").path
    let errorPath = directory.appendingPathComponent("stderr").path
    try #require(FileManager.default.createFile(atPath: outputPath, contents: nil))
    try #require(FileManager.default.createFile(atPath: errorPath, contents: nil))
    func text(_ path: String) -> String { String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
    let process = Process()
    let command = prefix + [executable] + arguments
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = FileHandle(forWritingAtPath: outputPath)
    process.standardError = FileHandle(forWritingAtPath: errorPath)
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline, onStderr(text(errorPath)) { usleep(20_000) }
    if Date() >= deadline { process.terminate() }
    return (process, text(outputPath), text(errorPath))
}

/// A program none of whose functions attaches is an error that says how to
/// name them, at once, not "Tracing..." forever.
@Test func runOfAProgramThatAttachesNothingSaysHowToNameFunctions() throws {
    let directory = try TestSupport.temporaryDirectory("bcc-run-empty")
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, source) in [("empty.c", ""), ("plain.c", "int count_opens(struct pt_regs *ctx) { return 0; }\n")] {
        let program = directory.appendingPathComponent(name)
        try source.write(to: program, atomically: true, encoding: .utf8)
        let started = Date()
        let (process, _, errors) = try runSwiftBCC(["run", program.path, "--duration", "60"], in: directory)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(started) < 50, "it waited for the duration")
        #expect(process.terminationStatus != 0)
        #expect(!errors.contains("Tracing..."), "\(errors)")
        #expect(errors.contains("\(program.path): no function attaches to anything"), "\(errors)")
        for advice in ["kprobe__", "tracepoint__", "TRACEPOINT_PROBE(", "RAW_TRACEPOINT_PROBE(", "attachTracepoint"] {
            #expect(errors.contains(advice), "\(advice) missing from: \(errors)")
        }
        if name == "plain.c" { #expect(errors.contains("(functions: count_opens)"), "\(errors)") }
    }
}

/// `--duration` is tracing time: on a cold cache (the header and its PCH
/// built first, seconds) `--duration 1` still traces for a second. A program
/// that prints with bpf_trace_printk is told it shares the global trace_pipe.
@Test func runDurationCountsFromWhenTracingStartsAndPrintkSaysItSharesTracePipe() throws {
    let directory = try TestSupport.temporaryDirectory("bcc-run-duration")
    defer { try? FileManager.default.removeItem(at: directory) }
    let program = directory.appendingPathComponent("printk.c")
    try """
        TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
            if ((bpf_get_current_pid_tgid() >> 32) == \(getpid()))
                bpf_trace_printk("getppid\\n");
            return 0;
        }
        """.write(to: program, atomically: true, encoding: .utf8)
    var tracingSince: Date?
    let (process, _, errors) = try runSwiftBCC(
        ["run", program.path, "--duration", "1"], in: directory,
        environment: ["XDG_CACHE_HOME": directory.appendingPathComponent("cache").path]) { errors in
            if tracingSince == nil, errors.contains("Tracing... Hit Ctrl-C to end.") { tracingSince = Date() }
            return true
        }
    process.waitUntilExit()
    let traced = Date().timeIntervalSince(try #require(tracingSince, "never traced: \(errors)"))
    #expect(process.terminationStatus == 0, "\(errors)")
    #expect(traced >= 0.9, "traced for \(traced) s of --duration 1")
    #expect(errors.contains(RunNote.tracePipe), "\(errors)")
}

private enum RunNote {
    static let tracePipe = "Note: bpf_trace_printk output comes through the kernel's one trace_pipe"
}

/// A user without CAP_BPF and CAP_PERFMON is told so first, for any kind of
/// program, before anything is compiled or cached in their home.
@Test func runWithoutPrivilegesGivesTheAdviceFirstAndWritesNoCache() throws {
    let helper = TestSupport.builtProduct("ebpf-test-helper")
    try #require(FileManager.default.isExecutableFile(atPath: helper), "ebpf-test-helper is built by `swift build`")
    let directory = try TestSupport.temporaryDirectory("bcc-run-unprivileged")
    defer { try? FileManager.default.removeItem(at: directory) }
    // nobody may read the programs and write anywhere here: only the check may stop the cache.
    chmod(directory.path, 0o777)
    let home = directory.appendingPathComponent("home")
    try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    chmod(home.path, 0o777)
    let programs = [
        "tracepoint.c": "TRACEPOINT_PROBE(syscalls, sys_enter_openat) { return 0; }\n",
        "raw.c": "RAW_TRACEPOINT_PROBE(sched_switch) { return 0; }\n",
        "uprobe.c": "int on_malloc(struct pt_regs *ctx) { return 0; }\n",
    ]
    for (name, source) in programs.sorted(by: { $0.key < $1.key }) {
        let program = directory.appendingPathComponent(name)
        try source.write(to: program, atomically: true, encoding: .utf8)
        chmod(program.path, 0o644)
        let output = directory.appendingPathComponent("output-\(name)")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        chmod(output.path, 0o777)
        let (process, _, errors) = try runSwiftBCC(
            ["run", program.path], in: output, environment: ["HOME": home.path, "XDG_CACHE_HOME": ""],
            prefix: [helper, "as-nobody"], timeout: 60)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(errors.contains("permission denied; run as root, or with CAP_BPF and CAP_PERFMON"), "\(name): \(errors)")
        #expect(!errors.contains("tracefs"), "\(name): \(errors)")
    }
    let cached = (try? FileManager.default.subpathsOfDirectory(atPath: home.path)) ?? []
    #expect(cached.isEmpty, "written to the home directory: \(cached.prefix(5))")
}
