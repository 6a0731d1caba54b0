import ArgumentParser
import BCC

/// The `swift-bcc` command: bcc programs from the command line.
@main
struct SwiftBCC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-bcc",
        abstract: "Write BPF tracing tools in bcc's C dialect, driven from Swift.",
        subcommands: [BTFHeaderCommand.self, TypesCommand.self, RunCommand.self, CheckCommand.self, ListCommand.self, InfoCommand.self, BTFCommand.self])
}
