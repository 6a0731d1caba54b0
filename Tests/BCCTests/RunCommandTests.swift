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
    let path = directory.appendingPathComponent("marker-\(UUID().uuidString.prefix(8))").path
    // Compiling may take a while on a busy machine: open the marker once the
    // tracer says it is attached, until our event is printed, then stop it.
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, process.isRunning, !text(outputPath).contains(path) {
        if text(errorPath).contains("Tracing... Hit Ctrl-C to end.") {
            let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        usleep(100_000)
    }
    process.terminate() // SIGTERM
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0, "stderr: \(text(errorPath))")
    #expect(text(errorPath).contains("Tracing... Hit Ctrl-C to end."))
    let lines = text(outputPath).split(separator: "\n")
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
