import ArgumentParser
import BCC

/// `swift-bcc check FILE.c...`: compile each bcc C program and load every
/// function into the kernel without attaching anything, as a program's
/// attach calls would load them: the quick answer to "does this program
/// work here?" for a program brought from bcc.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compile bcc C programs and load every function, attaching nothing.",
        discussion: """
            Each function is loaded with the program type its section or context names (a \
            struct __sk_buff * function as a tc classifier); functions bcc's names auto-attach \
            load with the object (--init-only: only those). One line per file: `FILE: ok (N functions)` or `FILE: failed` \
            followed by the error. Exits 1 when any file fails.
            """)

    @Argument(help: "bcc C programs.")
    var files: [String]

    @Option(name: .customLong("cflag"), help: "An extra compiler flag (repeatable), e.g. --cflag=-DPID=1.")
    var cflags: [String] = []

    @Flag(name: .customLong("init-only"), help: "Load only what BPF(text:) loads (the auto-attached functions), as bcc does before any attach.")
    var initOnly = false

    func run() throws {
        var failed = 0
        for file in files {
            do {
                let count = try Self.check(file, cflags: cflags, everyFunction: !initOnly)
                StandardOutput.printLine("\(file): ok (\(count) function\(count == 1 ? "" : "s"))")
            } catch {
                failed += 1
                StandardOutput.printLine("\(file): failed\n\(error)")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Loads `file` and, with `everyFunction`, each of its functions; returns how many it has.
    static func check(_ file: String, cflags: [String], everyFunction: Bool) throws(BCCError) -> Int {
        let b = try BPF(srcFile: file, cflags: cflags, autoAttach: false)
        defer { b.close() }
        for function in b.functions where everyFunction {
            // A socket buffer function's type is its attach's: a tc classifier may do what the others may.
            if function.loadsOnAttach {
                try b.loadFunc(function.name, .schedCLS)
            } else {
                _ = try b.function(named: function.name)
            }
        }
        return b.functions.count
    }
}
