import Foundation
import Testing
import TestSupport

/// `swift-bcc run` as a user runs it: a separate process, stopped by SIGTERM.
@Test func runCommandPrintsDecodedEventsAndStopsOnSIGTERM() throws {
    let executable = TestSupport.builtProduct("swift-bcc")
    try #require(FileManager.default.isExecutableFile(atPath: executable), "swift-bcc is built by `swift test`")
    let directory = try TestSupport.temporaryDirectory("bcc-run")
    defer { try? FileManager.default.removeItem(at: directory) }
    let program = directory.appendingPathComponent("opens.c")
    try """
        #include <linux/sched.h>
        struct open_event {
            u32 pid;
            int flags;
            char comm[TASK_COMM_LEN];
            char filename[96];
        };
        BPF_RINGBUF_OUTPUT(opens, 4);

        TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
            if ((bpf_get_current_pid_tgid() >> 32) != \(getpid()))
                return 0;
            struct open_event event = {};
            event.pid = bpf_get_current_pid_tgid() >> 32;
            event.flags = args->flags;
            bpf_get_current_comm(&event.comm, sizeof(event.comm));
            bpf_probe_read_user_str(&event.filename, sizeof(event.filename), args->filename);
            opens.ringbuf_output(&event, sizeof(event), 0);
            return 0;
        }
        """.write(to: program, atomically: true, encoding: .utf8)

    let path = directory.appendingPathComponent("marker-\(UUID().uuidString.prefix(8))").path
    let (output, _) = try runTracer(program: program, in: directory, opening: path, until: path)
    let lines = output.split(separator: "\n")
    let ours = lines.filter { $0.contains(path) }
    #expect(!ours.isEmpty, "stdout: \(lines.prefix(5))")
    if let line = ours.first {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["table"] as? String == "opens")
        let fields = try #require(object["fields"] as? [String: Any])
        #expect(fields["pid"] as? Int == Int(getpid()))
        #expect(fields["filename"] as? String == path)
        #expect(((fields["flags"] as? Int) ?? 0) & Int(O_CREAT) != 0)
    }
}

/// A record whose struct the program never recorded (it passes a `void *`)
/// prints as hex with the reason, not silently as bytes.
@Test func runCommandPrintsUndecodableRecordsWithTheReason() throws {
    let directory = try TestSupport.temporaryDirectory("bcc-run-raw")
    defer { try? FileManager.default.removeItem(at: directory) }
    let program = directory.appendingPathComponent("raw.c")
    try """
        BPF_RINGBUF_OUTPUT(words, 4);

        TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
            u64 word = bpf_get_current_pid_tgid() >> 32;
            if (word != \(getpid()))
                return 0;
            void *untyped = &word;
            words.ringbuf_output(untyped, sizeof(word), 0);
            return 0;
        }
        """.write(to: program, atomically: true, encoding: .utf8)
    let path = directory.appendingPathComponent("marker").path
    var pid = UInt64(getpid()).littleEndian
    let hex = withUnsafeBytes(of: &pid) { $0.map { String(format: "%02x", $0) }.joined() }
    let (output, _) = try runTracer(program: program, in: directory, opening: path, until: hex)
    let line = try #require(output.split(separator: "\n").first { $0.contains(hex) }, "stdout: \(output.prefix(300))")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(object["table"] as? String == "words")
    let fields = try #require(object["fields"] as? [String: Any])
    #expect(fields["raw"] as? String == hex)
    #expect((fields["error"] as? String)?.contains("no event struct recorded") == true, "\(fields)")
}

/// Runs `swift-bcc run PROGRAM --json` (its output in files under
/// `directory`), opening `trigger` once it has attached, until its standard
/// output contains `marker`; then stops it with SIGTERM and expects a clean
/// exit. Returns stdout and stderr.
private func runTracer(program: URL, in directory: URL, opening trigger: String, until marker: String) throws -> (String, String) {
    let executable = TestSupport.builtProduct("swift-bcc")
    try #require(FileManager.default.isExecutableFile(atPath: executable), "swift-bcc is built by `swift test`")
    // Output goes to files, read while the tracer runs.
    let outputPath = directory.appendingPathComponent("stdout").path
    let errorPath = directory.appendingPathComponent("stderr").path
    try #require(FileManager.default.createFile(atPath: outputPath, contents: nil))
    try #require(FileManager.default.createFile(atPath: errorPath, contents: nil))
    func text(_ path: String) -> String { String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["run", program.path, "--json"]
    process.standardOutput = FileHandle(forWritingAtPath: outputPath)
    process.standardError = FileHandle(forWritingAtPath: errorPath)
    try process.run()
    // Compiling may take a while on a busy machine: open the file once the
    // tracer says it is attached, until the marker is printed, then stop it.
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, process.isRunning, !text(outputPath).contains(marker) {
        if text(errorPath).contains("Tracing... Hit Ctrl-C to end.") {
            let fd = open(trigger, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        usleep(100_000)
    }
    process.terminate() // SIGTERM
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0, "stderr: \(text(errorPath))")
    #expect(text(errorPath).contains("Tracing... Hit Ctrl-C to end."))
    return (text(outputPath), text(errorPath))
}

/// A one-page ring that refuses most of a burst: `swift-bcc run --json`
/// reports the drops as JSON records as they happen and their total at
/// exit, and with what it printed they account for every record sent.
@Test func runCommandReportsDropsAsJSONRecords() throws {
    let directory = try TestSupport.temporaryDirectory("bcc-run-lost")
    defer { try? FileManager.default.removeItem(at: directory) }
    let thread = TestSupport.threadID()
    let program = directory.appendingPathComponent("burst.c")
    try """
        struct big_t { u32 tid; char payload[500]; };
        BPF_RINGBUF_OUTPUT(bursts, 1);

        TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
            if ((u32)bpf_get_current_pid_tgid() != \(thread))
                return 0;
            struct big_t *record = bursts.ringbuf_reserve(sizeof(struct big_t));
            if (record == 0)
                return 0;
            record->tid = \(thread);
            bursts.ringbuf_submit(record, 0);
            return 0;
        }
        """.write(to: program, atomically: true, encoding: .utf8)
    let outputPath = directory.appendingPathComponent("stdout").path
    let errorPath = directory.appendingPathComponent("stderr").path
    func text(_ path: String) -> String { String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.builtProduct("swift-bcc"))
    process.arguments = ["run", program.path, "--json"]
    try #require(FileManager.default.createFile(atPath: outputPath, contents: nil))
    try #require(FileManager.default.createFile(atPath: errorPath, contents: nil))
    process.standardOutput = FileHandle(forWritingAtPath: outputPath)
    process.standardError = FileHandle(forWritingAtPath: errorPath)
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, process.isRunning, !text(errorPath).contains("Tracing... Hit Ctrl-C to end.") { usleep(50_000) }
    let sent = 5_000
    for _ in 0 ..< sent { _ = getppid() }
    usleep(500_000)
    process.terminate()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "stderr: \(text(errorPath))")
    var printed = 0, reported: UInt64 = 0, total: UInt64?
    for line in text(outputPath).split(separator: "\n") {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        #expect(object["table"] as? String == "bursts")
        if let lost = object["lost"] as? NSNumber { reported += lost.uint64Value }
        if let lost = object["lost_total"] as? NSNumber { total = lost.uint64Value }
        if let fields = object["fields"] as? [String: Any], fields["tid"] as? Int == Int(thread) { printed += 1 }
    }
    #expect(reported > 0, "a one-page ring kept up with \(sent) records")
    #expect(total == reported)
    #expect(UInt64(printed) + reported == UInt64(sent), "printed \(printed), reported lost \(reported)")
}
