import Foundation
import Testing
import BPFObject
@testable import EBPF

@Suite struct AttachTracefsTests {
    /// tracefs is found (or mounted, as root) and has the standard files.
    @Test func rootHasTracePipeAndEvents() throws {
        let root = try Tracefs.root()
        #expect(Tracefs.mountPoints.contains(root))
        #expect(try Tracefs.tracePipePath() == root + "/trace_pipe")
        #expect(FileManager.default.fileExists(atPath: root + "/trace_pipe"))
        #expect(try Tracefs.eventExists(category: "sched", name: "sched_process_exec"))
        #expect(try !Tracefs.eventExists(category: "sched", name: "no_such_event_anywhere"))
    }

    @Test func eventIDMatchesTheFormatFile() throws {
        let id = try Tracefs.eventID(category: "sched", name: "sched_process_exec")
        let format = try Tracefs.eventFormat(category: "sched", name: "sched_process_exec")
        #expect(format.id == id)
        #expect(format.name == "sched_process_exec")
        #expect(format.fields.map(\.name) == ["common_type", "common_flags", "common_preempt_count", "common_pid",
                                              "filename", "pid", "old_pid"])
        let filename = try #require(format.eventFields.first)
        #expect(filename.dynamicArray == .dataLocation)
        #expect(filename.type == "char")
        #expect(filename.offset == 8 && filename.size == 4)
        let pid = try #require(format.eventFields.first { $0.name == "pid" })
        #expect(pid.type == "pid_t" && pid.isSigned && pid.size == 4 && pid.offset == 12)
    }

    @Test func arrayFieldsOfSysEnterAndSchedSwitch() throws {
        let sysEnter = try Tracefs.eventFormat(category: "raw_syscalls", name: "sys_enter")
        let args = try #require(sysEnter.fields.first { $0.name == "args" })
        #expect(args.type == "unsigned long" && args.arrayLength == 6 && args.size == 48 && !args.isSigned)
        let schedSwitch = try Tracefs.eventFormat(category: "sched", name: "sched_switch")
        let comm = try #require(schedSwitch.fields.first { $0.name == "prev_comm" })
        #expect(comm.type == "char" && comm.arrayLength == 16 && comm.declaration == "char prev_comm[16]")
    }

    @Test func missingEventIsNotFound() throws {
        let error = expectBPFError(.notFound) { try Tracefs.eventID(category: "sched", name: "not_an_event") }
        #expect(error?.description.contains("tracepoint sched/not_an_event") == true)
        expectBPFError(.notFound) { try Tracefs.eventFormat(category: "sched", name: "not_an_event") }
    }

    /// Names become path components, so anything leaving events/ is refused before touching the disk.
    @Test(arguments: ["..", "../sched", "a/b", "", ".hidden", "with space"])
    func pathEscapesAreRejected(name: String) {
        let error = expectBPFError(.invalidArgument) { try Tracefs.eventID(category: name, name: "id") }
        guard case .invalidArgument? = error else {
            Issue.record("expected invalidArgument, got \(String(describing: error))")
            return
        }
    }

    @Test func formatParsingOfAllFieldShapes() throws {
        let text = """
            name: demo
            ID: 42
            format:
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
            \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

            \tfield:const char * name;\toffset:8;\tsize:8;\tsigned:0;
            \tfield:__rel_loc char[] msg;\toffset:16;\tsize:4;\tsigned:0;
            \tfield:char comm[TASK_COMM_LEN];\toffset:20;\tsize:16;\tsigned:0;
            \tfield:struct mm_struct * mm;\toffset:40;\tsize:8;\tsigned:0;

            print fmt: "name=%s", REC->name
            """
        let format = try TracepointFormat(parsing: text, path: "demo/format")
        #expect(format.id == 42 && format.name == "demo")
        #expect(format.eventFields.map(\.name) == ["name", "msg", "comm", "mm"])
        #expect(format.fields[2].type == "const char *")
        #expect(format.fields[3].dynamicArray == .relativeLocation && format.fields[3].type == "char")
        #expect(format.fields[4].arrayDimension == "TASK_COMM_LEN" && format.fields[4].arrayLength == nil)
        #expect(format.fields[5].type == "struct mm_struct *" && format.fields[5].offset == 40)
    }

    @Test(arguments: [
        ("name: x\nformat:\n", "no 'ID:' line"),
        ("ID: 1\n", "no 'name:' line"),
        ("name: x\nID: nope\n", "demo:2"),
        ("name: x\nID: 1\n\tfield:int a;\toffset:zz;\tsize:4;\n", "demo:3"),
        ("name: x\nID: 1\n\tfield:;\toffset:0;\tsize:4;\n", "demo:3"),
        ("name: x\nID: 1\n\tfield:int;\toffset:0;\tsize:4;\n", "demo:3"),
        ("name: x\nID: 1\n\tfield:int a\toffset 0\n", "demo:3"),
    ])
    func malformedFormatNamesTheLine(text: String, expected: String) {
        let error = #expect(throws: BPFObjectError.self) { try TracepointFormat(parsing: text, path: "demo") }
        guard case .malformed(let what, let detail) = error else {
            Issue.record("expected .malformed naming \(expected), got \(String(describing: error))")
            return
        }
        #expect(what == expected || (what == "demo" && detail == expected))
    }

    @Test func onlineCPUList() throws {
        #expect(try OnlineCPUs.parse("0-3,6\n") == [0, 1, 2, 3, 6])
        #expect(try OnlineCPUs.parse("0") == [0])
        expectBPFError(.malformed) { try OnlineCPUs.parse("3-1") }
        expectBPFError(.malformed) { try OnlineCPUs.parse("") }
        expectBPFError(.malformed) { try OnlineCPUs.parse("a-b") }
        #expect(try OnlineCPUs.list().count == sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
