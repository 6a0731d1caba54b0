import ArgumentParser
import BCC
import ProbeSpec

/// `swift-bcc list [pattern]`: what can be traced, as bpftrace's `-l` and
/// bcc's tplist show it.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List tracepoints, raw tracepoints, kernel functions, a binary's functions and USDT probes matching a pattern.",
        discussion: """
            Patterns take * and ? wildcards:
                swift-bcc list                          # every tracepoint
                swift-bcc list 'sched:*'                # tracepoints of a category (t:sched:* too)
                swift-bcc list -v 'syscalls:sys_enter_openat'   # with the tracepoint's fields
                swift-bcc list 'rawtp:sched_*'          # raw tracepoints (from the kernel's BTF)
                swift-bcc list 'c:malloc*'              # functions of libc (or any library or path)
                swift-bcc list 'p::vfs_*'               # kernel functions (from /proc/kallsyms)
                swift-bcc list 'u:c'                    # USDT probes of a binary ('u:/usr/bin/python3:function__*')
            Each line can be given to trace, funccount, argdist or stackcount as it is.
            """)

    @Flag(name: [.customShort("v"), .long], help: "Show each tracepoint's fields.")
    var verbose = false

    @Argument(help: "What to list (default: every tracepoint).")
    var pattern: String = "*:*"

    func run() throws {
        var output = StandardOutput()
        for prefix in ["rawtp:", "rawtracepoint:"] where pattern.hasPrefix(prefix) {
            let glob = Glob(String(pattern.dropFirst(prefix.count)))
            for name in try BPF.rawTracepoints(matching: glob.matches) { output.write("rawtp:\(name)\n") }
            return
        }
        var pattern = self.pattern
        let parts = pattern.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 && parts[0] == "u" { pattern += ":*" }  // every probe of the binary
        // "category:event" is a tracepoint when the category exists (else "library:function").
        if parts.count == 2, !parts[0].isEmpty, parts[0] != "p", parts[0] != "t",
           try parts[0].contains("*") || BPF.tracepointCategories().contains(String(parts[0])) {
            try listTracepoints(Glob(pattern), to: &output)
            return
        }
        let parsed: FunctionPattern
        do {
            parsed = try FunctionPattern(parsing: pattern)
        } catch {
            throw ValidationError("\(error)")
        }
        let matcher = parsed.matcher()
        switch parsed.point.kind {
        case .tracepoint:
            try listTracepoints(Glob(parsed.point.target), to: &output)
        case .kernelEntry, .kernelReturn:
            for name in try BPF.kernelFunctions(matching: matcher.matches) { output.write("\(name)\n") }
        case .userEntry, .userReturn:
            let binary = try BPF.findBinary(parsed.point.library)
            for function in try BPF.userFunctions(in: binary, matching: matcher.matches).sorted(by: { $0.name < $1.name }) {
                output.write("\(binary):\(function.name)\n")
            }
        case .usdt:
            let binary = try BPF.findBinary(parsed.point.library)
            let provider = parsed.point.usdtProbe?.provider.map(Glob.init)
            for probe in try USDT(path: binary).probes
            where (provider?.matches(probe.provider) ?? true) && matcher.matches(probe.name) {
                output.write("u:\(binary):\(probe.qualifiedName)\n")
                if verbose, let location = probe.locations.first {
                    let arguments = (try? location.site.arguments().map(\.text).joined(separator: " ")) ?? "unreadable"
                    output.write("    \(probe.locations.count) location\(probe.locations.count == 1 ? "" : "s"), arguments: \(arguments)\n")
                }
            }
        }
    }

    private func listTracepoints(_ glob: Glob, to output: inout StandardOutput) throws {
        for tracepoint in try BPF.tracepoints(matching: glob.matches) {
            output.write(tracepoint + "\n")
            if verbose {
                for field in try BPF.tracepointFields(tracepoint) { output.write("    \(field);\n") }
            }
        }
    }
}
