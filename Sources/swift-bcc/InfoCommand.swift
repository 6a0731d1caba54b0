import ArgumentParser
import BCC

/// `swift-bcc info`: the running kernel's BPF support, from feature probes.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the kernel version, its BTF, and which program, map and attach kinds and helpers it supports.",
        discussion: "Each kind is probed by loading or creating the smallest object of it (needs root).")

    @Flag(name: .long, help: "List every helper the kernel knows (default: only their count).")
    var helpers = false

    func run() throws {
        let report = try KernelReport.probe()
        var text = "Kernel: \(report.release) (version \(report.version))\n"
        text += "BTF: \(report.btfPath), \(report.btfTypeCount) types\n"
        func section(_ title: String, _ entries: [KernelReport.Entry]) {
            let supported = entries.filter(\.isSupported).count
            text += "\n\(title) (\(supported) of \(entries.count) supported):\n"
            let width = (entries.map(\.name.count).max() ?? 0) + 2
            for entry in entries {
                text += "  " + entry.name + String(repeating: " ", count: max(1, width - entry.name.count)) + entry.detail + "\n"
            }
        }
        section("Program types", report.programTypes)
        section("Map types", report.mapTypes)
        section("Attach kinds", report.attachKinds)
        text += "\nHelpers: \(report.helpers.count)\n"
        if helpers {
            for helper in report.helpers { text += "  bpf_\(helper)\n" }
        }
        var output = StandardOutput()
        output.write(text)
    }
}
