// tplist: kernel tracepoints, or a binary's or process's USDT probes with
// their argument specs, as bcc's tools/tplist.py.
import ArgumentParser
import BCC
import BCCTools
import EBPF
import ELF
import Glibc

@main
struct TPList: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "tplist",
        abstract: "Display kernel tracepoints or USDT probes and their formats.",
        discussion: """
            examples:
                tplist                      # every kernel tracepoint
                tplist 'sched:*'            # the scheduler's tracepoints
                tplist -v syscalls:sys_enter_openat   # with its fields
                tplist -l /usr/bin/python3.11         # a binary's USDT probes
                tplist -v -l c 'libc:*'     # libc's probes with their locations and arguments
                tplist -p 185               # the USDT probes of process 185 and its libraries
            """)

    @Option(name: [.customShort("p"), .long], help: "List USDT probes in the specified process")
    var pid: Int32?

    @Option(name: [.customShort("l"), .long], help: "List USDT probes in the specified library or executable")
    var lib: String?

    @Flag(name: .customShort("v"), help: "Increase verbosity level (print variables, arguments, etc.)")
    var verbosity: Int

    @Argument(help: "A filter that specifies which probes/tracepoints to print")
    var filter: String?

    func run() throws {
        do {
            if pid != nil || lib != nil {
                try listProbes()
            } else {
                try listTracepoints()
            }
        } catch {
            StandardOutput.writeToStandardError("tplist: \(error)\n")
            throw ExitCode(1)
        }
    }

    // MARK: - USDT probes

    func listProbes() throws(BCCError) {
        let context = if let pid { try USDT(pid: pid) } else { try USDT(path: lib ?? "") }
        // With both -p and -l, the process's probes in that library only.
        let library: String? = pid != nil ? lib.flatMap { try? BinaryPath.resolve($0, pid: pid) } : nil
        for probe in context.probes where matches(probe) {
            let locations = probe.locations.filter { library == nil || $0.binary == library }
            let binaries = locations.reduce(into: [String]()) { if !$0.contains($1.binary) { $0.append($1.binary) } }
            for binary in binaries {
                let sites = locations.filter { $0.binary == binary }
                guard verbosity > 0 else {
                    StandardOutput.printLine("\(binary) \(probe.qualifiedName)")
                    continue
                }
                let semaphore = sites.compactMap(\.site.semaphore).first.map { "0x\(String($0.address, radix: 16))" } ?? "0x0"
                StandardOutput.printLine("\(binary) \(probe.qualifiedName) [sema \(semaphore)]")
                for (number, site) in sites.enumerated() {
                    StandardOutput.printLine("  location #\(number + 1) \(binary) 0x\(String(site.site.address, radix: 16))")
                    describeArguments(of: site.site)
                }
            }
        }
    }

    func describeArguments(of site: SDTProbeLocation) {
        switch site.parsedArguments {
        case let .success(arguments):
            for (number, argument) in arguments.enumerated() {
                StandardOutput.printLine("    argument #\(number + 1) \(argument.text): \(argument)")
            }
        case let .failure(error):
            StandardOutput.printLine("    arguments '\(site.argumentText)' cannot be read: \(error)")
        }
    }

    func matches(_ probe: USDTProbe) -> Bool {
        guard let filter else { return true }
        return glob(filter, probe.qualifiedName) || glob(filter, probe.name)
    }

    // MARK: - Tracepoints

    func listTracepoints() throws(BCCError) {
        // "sched" means every event of category sched, as in bcc.
        let pattern = filter.map { $0.contains(":") ? $0 : "\($0):*" } ?? "*:*"
        for tracepoint in try BPF.tracepoints(matching: { glob(pattern, $0) }) {
            StandardOutput.printLine(tracepoint)
            guard verbosity > 0 else { continue }
            let parts = tracepoint.split(separator: ":", maxSplits: 1).map(String.init)
            do {
                for field in try Tracefs.eventFormat(category: parts[0], name: parts[1]).eventFields {
                    StandardOutput.printLine("    \(field.declaration);")
                }
            } catch {
                StandardOutput.printLine("    (format unreadable: \(error))")
            }
        }
    }

    /// fnmatch(3): shell wildcards.
    func glob(_ pattern: String, _ text: String) -> Bool {
        fnmatch(pattern, text, 0) == 0
    }
}
