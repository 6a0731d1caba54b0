import Testing
import BPFObject

/// libbpf's SEC() naming conventions.
@Suite struct ProgramSectionTests {
    typealias Kind = ProgramType
    typealias Attach = AttachType

    @Test(arguments: [
        ("tracepoint/sched/sched_process_exec", Kind.tracepoint, nil,
         ProgramSection.AttachTarget.tracepoint(category: "sched", name: "sched_process_exec")),
        ("tp/syscalls/sys_enter_openat", Kind.tracepoint, nil, .tracepoint(category: "syscalls", name: "sys_enter_openat")),
        ("raw_tracepoint/sys_enter", Kind.rawTracepoint, nil, .rawTracepoint(name: "sys_enter")),
        ("raw_tp/sched_switch", Kind.rawTracepoint, nil, .rawTracepoint(name: "sched_switch")),
        ("tp_btf/sched_switch", Kind.tracing, Attach.traceRawTracepoint, .btfTracepoint(name: "sched_switch")),
        ("kprobe/do_sys_openat2", Kind.kprobe, nil, .kprobe(function: "do_sys_openat2", offset: 0, isReturn: false)),
        ("kprobe/tcp_v4_connect+0x10", Kind.kprobe, nil, .kprobe(function: "tcp_v4_connect", offset: 16, isReturn: false)),
        ("kretprobe/do_sys_openat2", Kind.kprobe, nil, .kprobe(function: "do_sys_openat2", offset: 0, isReturn: true)),
        ("kprobe", Kind.kprobe, nil, .none),
        ("uprobe/libc.so.6:malloc", Kind.kprobe, nil, .uprobe(binary: "libc.so.6", function: "malloc", offset: 0, isReturn: false)),
        ("uretprobe//usr/bin/bash:readline", Kind.kprobe, nil,
         .uprobe(binary: "/usr/bin/bash", function: "readline", offset: 0, isReturn: true)),
        ("uprobe", Kind.kprobe, nil, .uprobe(binary: "", function: "", offset: 0, isReturn: false)),
        ("fentry/do_unlinkat", Kind.tracing, Attach.traceFentry, .tracing(function: "do_unlinkat", isExit: false)),
        ("fexit/do_unlinkat", Kind.tracing, Attach.traceFexit, .tracing(function: "do_unlinkat", isExit: true)),
        ("perf_event", Kind.perfEvent, Attach.perfEvent, .perfEvent),
        ("xdp", Kind.xdp, Attach.xdp, .none),
        ("socket", Kind.socketFilter, nil, .none),
        ("syscall", Kind.syscall, nil, .none),
        ("tc", Kind.schedCLS, nil, .none),
        ("tcx/egress", Kind.schedCLS, Attach.tcxEgress, .none),
        ("sk_skb/stream_verdict", Kind.skSKB, Attach.skSKBStreamVerdict, .none),
        ("sk_msg", Kind.skMsg, Attach.skMsgVerdict, .none),
        ("flow_dissector", Kind.flowDissector, Attach.flowDissector, .none),
        ("sk_reuseport", Kind.skReuseport, Attach.skReuseportSelect, .none),
    ] as [(String, ProgramType, AttachType?, ProgramSection.AttachTarget)])
    func conventions(name: String, type: ProgramType, attach: AttachType?, target: ProgramSection.AttachTarget) throws {
        let section = try #require(ProgramSection(sectionName: name))
        #expect(section.programType == type)
        #expect(section.expectedAttachType == attach)
        #expect(section.attachTarget == target)
    }

    @Test(arguments: ["license", ".text", "kprobes/x", "tracepoints", "my_section", ""])
    func unknownNames(name: String) {
        #expect(ProgramSection(sectionName: name) == nil)
    }
}
