import BCC
import BCCTools
import Foundation
import TestSupport
import Testing

/// opensnoop and execsnoop read their records through Swift mirrors that
/// `swift-bcc types` writes from their programs; these tests keep the
/// committed mirrors equal to what it writes now and check the conversions.
@Suite struct ToolEventMirrorTests {
    /// What `swift-bcc types TOOL.c` prints for the tool's program.
    static func generatedMirror(tool: String, source: String) throws -> String {
        let directory = try TestSupport.temporaryDirectory("mirror-\(tool)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = directory.appendingPathComponent("\(tool).c")
        try source.write(to: program, atomically: true, encoding: .utf8)
        return try SwiftEventDeclarations.forProgram(srcFile: program.path).source()
    }

    @Test func committedMirrorsAreWhatSwiftBCCTypesWrites() throws {
        for (tool, source, file) in [("opensnoop", OpenSnoopProgram.source(), "OpenSnoopEvent.swift"),
                                     ("execsnoop", ExecSnoopProgram.source(), "ExecSnoopEvent.swift"),
                                     ("biosnoop", BiosnoopProgram.source(), "BiosnoopEvent.swift"),
                                     ("runqslower", RunqslowerProgram.source(), "RunqslowerEvent.swift"),
                                     ("killsnoop", KillsnoopProgram.source(), "KillsnoopEvent.swift"),
                                     ("sigsnoop", SigsnoopProgram.source(), "SigsnoopEvent.swift"),
                                     ("exitsnoop", ExitsnoopProgram.source(), "ExitsnoopEvent.swift"),
                                     ("statsnoop", StatsnoopProgram.source(available: ["newstat"]), "StatsnoopEvent.swift"),
                                     ("mountsnoop", MountsnoopProgram.source(), "MountsnoopEvent.swift"),
                                     ("drsnoop", DrsnoopProgram.source(), "DrsnoopEvent.swift"),
                                     ("oomkill", OomkillProgram.source(), "OomkillEvent.swift"),
                                     ("tcpstates", TcpstatesProgram.source(), "TcpstatesEvent.swift"),
                                     ("tcplife", TcplifeProgram.source(), "TcplifeEvent.swift"),
                                     ("tcpconnect", TcpconnectProgram.source(), "TcpconnectEvent.swift"),
                                     ("tcpaccept", TcpacceptProgram.source(), "TcpacceptEvent.swift"),
                                     ("tcpretrans", TcpretransProgram.source(), "TcpretransEvent.swift"),
                                     ("tcpdrop", TcpdropProgram.source(), "TcpdropEvent.swift"),
                                     ("bashreadline", BashreadlineProgram.source(), "BashreadlineEvent.swift"),
                                     ("gethostlatency", GethostlatencyProgram.source(), "GethostlatencyEvent.swift")] {
            let generated = try Self.generatedMirror(tool: tool, source: source)
            let path = TestSupport.repositoryRoot.appendingPathComponent("Sources/BCCTools/\(file)")
            let committed = try String(contentsOf: path, encoding: .utf8)
            #expect(committed == generated, "the program changed: write \(tool)'s source to \(tool).c and run `swift-bcc types \(tool).c > Sources/BCCTools/\(file)`")
        }
    }

    /// A record of `Record` with `fill` writing its fields, as the kernel would.
    static func record<Record: BPFEvent>(_ type: Record.Type, _ fill: (inout Record) -> Void) -> Record {
        var record = [UInt8](repeating: 0, count: MemoryLayout<Record>.size).withUnsafeBytes { $0.loadUnaligned(as: Record.self) }
        fill(&record)
        return record
    }

    static func setText<Storage>(_ text: String, in storage: inout Storage) {
        withUnsafeMutableBytes(of: &storage) { bytes in
            bytes.copyBytes(from: Array(text.utf8.prefix(bytes.count - 1)) + [0])
        }
    }

    @Test func opensnoopRecordsBecomeEvents() {
        let record = Self.record(opensnoop_data_t.self) { data in
            data.id = UInt64(4242) << 32 | 4243
            data.ts = 99
            data.uid = 1000
            data.ret = -2
            data.flags = 0o100
            data.mode = 0o644
            Self.setText("cat", in: &data.comm)
            Self.setText("/etc/passwd", in: &data.name)
        }
        #expect(OpenEvent(record) == OpenEvent(pid: 4242, tid: 4243, timestampMicros: 99, uid: 1000, ret: -2,
                                               comm: "cat", path: "/etc/passwd", flags: 0o100, mode: 0o644))
    }

    @Test func execsnoopRecordsBecomeArgumentsAndReturns() {
        let argument = Self.record(execsnoop_data_t.self) { data in
            data.pid = 7
            data.type = .EVENT_ARG
            Self.setText("-l", in: &data.argv)
        }
        #expect(ExecRecord(argument) == .argument(pid: 7, text: "-l"))
        let returned = Self.record(execsnoop_data_t.self) { data in
            data.pid = 7
            data.ppid = 1
            data.uid = 1000
            data.type = .EVENT_RET
            data.retval = -2
            Self.setText("ls", in: &data.comm)
            Self.setText("bash", in: &data.pcomm)
        }
        #expect(ExecRecord(returned) == .returned(pid: 7, ppid: 1, uid: 1000, comm: "ls", parentComm: "bash", retval: -2))
        let unknown = Self.record(execsnoop_data_t.self) { $0.type = execsnoop_event_type(rawValue: 9) }
        #expect(ExecRecord(unknown) == nil)
    }
}
