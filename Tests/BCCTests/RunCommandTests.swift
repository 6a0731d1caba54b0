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

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["run", program.path, "--json"]
    let stdout = Pipe(), stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Read concurrently so a full pipe never blocks the child.
    let collected = OutputCollector()
    let readers = DispatchGroup()
    for (pipe, isError) in [(stdout, false), (stderr, true)] {
        DispatchQueue.global().async(group: readers) {
            collected.append(pipe.fileHandleForReading.readDataToEndOfFile(), isError: isError)
        }
    }
    let path = directory.appendingPathComponent("marker-\(UUID().uuidString.prefix(8))").path
    let deadline = Date().addingTimeInterval(20)
    var opened = 0
    // Open until the tracer has had time to attach and deliver, then stop it.
    while Date() < deadline && opened < 40 {
        let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        opened += 1
        usleep(100_000)
    }
    process.terminate() // SIGTERM
    process.waitUntilExit()
    readers.wait()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0, "stderr: \(collected.text(isError: true))")
    #expect(collected.text(isError: true).contains("Tracing... Hit Ctrl-C to end."))
    let lines = collected.text(isError: false).split(separator: "\n")
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

/// Bytes read from a child's pipes on two threads.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var output = Data(), errors = Data()

    func append(_ data: Data, isError: Bool) {
        lock.lock()
        if isError { errors.append(data) } else { output.append(data) }
        lock.unlock()
    }

    func text(isError: Bool) -> String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: isError ? errors : output, as: UTF8.self)
    }
}
