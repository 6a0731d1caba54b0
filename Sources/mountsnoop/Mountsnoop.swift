// mountsnoop: trace mount() and umount() syscalls, as bcc's tools/mountsnoop.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Mountsnoop: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "mountsnoop",
        abstract: "trace mount() and umount() syscalls",
        discussion: """
            Uses the syscalls:sys_{enter,exit}_* tracepoints of mount, umount, fsopen,
            fsconfig, fsmount and move_mount (bcc's mountsnoop uses kprobes and kretprobes
            on the same calls). Strings are read up to 255 bytes (type and fsopen's name:
            63). Dropped records are reported as "Possibly lost N samples".

            examples:
                mountsnoop                      # trace mount and umount syscalls
                mountsnoop -P                   # also show the parent process
                mountsnoop --cgroupmap mappath  # only trace cgroups in this BPF map
                mountsnoop --mntnsmap mappath   # only trace mount namespaces in the map
            """)

    @Flag(name: [.customShort("P"), .customLong("parent_process")], help: "also snoop the parent process")
    var parentProcess = false

    @OptionGroup var containers: ContainerFilterOptions

    @OptionGroup var stream: EventStreamOptions

    func run() throws {
        let source = MountsnoopProgram.source(containers: containers.filter)
        if stream.ebpf {
            StandardOutput.printLine(source)
            return
        }
        let b = try BPF(text: source)
        defer { b.close() }
        let output = OutputBuffer()
        if stream.json {
            try b.printRecordsAsJSON(ring: "events", output: output)
        } else {
            let parent = parentProcess
            StandardOutput.printLine(MountsnoopProgram.header(parent: parent))
            try b["events"].openRingBuffer(as: mountsnoop_event_t.self) { event in
                if let line = MountsnoopProgram.line(for: event, parent: parent) { output.appendLine(line) }
            }
        }
        try b.pollReportingDrops(rings: ["events"], output: output, json: stream.json, until: stream.stop)
    }
}
