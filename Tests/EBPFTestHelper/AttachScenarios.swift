// The attach half of ebpf-test-helper: links of every kind opened and closed
// in a loop with exact descriptor counts, and tracefs found missing (run in a
// private mount namespace by `unshare -m`).
import BPFObject
import BTF
import EBPF
import Foundation
import Glibc

/// A program of `type` that only returns 0.
func emptyProgram(_ type: ProgramType, expectedAttachType: AttachType? = nil, attachBTFID: BTFTypeID = .void) throws -> Program {
    try Program(type: type, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "attach_leak",
                expectedAttachType: expectedAttachType, attachBTFID: attachBTFID)
}

/// Attaches and detaches every link kind `rounds` times (half closed
/// explicitly, half released), plus attachments that fail partway.
func attachLeakLoop(rounds: Int, uprobeTarget: String) throws {
    let tracepoint = try emptyProgram(.tracepoint)
    let rawTracepoint = try emptyProgram(.rawTracepoint)
    let probe = try emptyProgram(.kprobe)
    let sampling = try emptyProgram(.perfEvent)
    let btfTracepoint = try emptyProgram(
        .tracing, expectedAttachType: .traceRawTracepoint, attachBTFID: try TracingLink.btfID(ofTracepoint: "sys_enter"))
    for round in 0..<rounds {
        let links: [any Link] = [
            try TracepointLink(program: tracepoint, category: "sched", name: "sched_process_exec"),
            try RawTracepointLink(program: rawTracepoint, name: "sys_enter"),
            try TracingLink(program: btfTracepoint),
            try UprobeLink(program: probe, binary: "c", symbol: "getsid"),
            try UprobeLink(program: probe, binary: uprobeTarget, symbol: "uprobe_target_function", isReturn: true,
                           pid: getpid()),
            try PerfEventLink(program: sampling, sampling: .frequency(99)),
        ]
        _ = getsid(0)
        if round % 2 == 0 { for link in links { link.close() } }
    }
    // Failed attachments must not leak either.
    for _ in 0..<5 {
        _ = try? TracepointLink(program: tracepoint, category: "sched", name: "no_such_event")
        _ = try? TracepointLink(program: rawTracepoint, category: "sched", name: "sched_process_exec")
        _ = try? UprobeLink(program: probe, binary: "c", symbol: "no_such_function")
        _ = try? UprobeLink(program: probe, binary: "c", offset: 1 << 40)
        _ = try? KprobeLink(program: probe, symbol: "vfs_read")
        _ = try? RawTracepointLink(program: rawTracepoint, name: "no_such_tracepoint")
    }
}

/// Unmounts tracefs (and debugfs, whose tracing directory automounts it)
/// in this process's private mount namespace.
func unmountTracingFilesystems() {
    for path in Tracefs.mountPoints + ["/sys/kernel/debug"] {
        while umount2(path, Int32(MNT_DETACH)) == 0 {}
    }
}

/// The probes in tracefs uprobe_events that this process defined.
func ourUprobeDefinitions() throws -> [String] {
    let text = try String(contentsOfFile: try Tracefs.root() + "/uprobe_events", encoding: .utf8)
    return text.split(separator: "\n").map(String.init).filter { $0.contains("_\(getpid())_") }
}
