import ArgumentParser
import BCC

/// `swift-bcc types`: Swift declarations that mirror a program's event
/// structs, for `openRingBuffer(as:)` (as bpf2go does for Go).
struct TypesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "types",
        abstract: "Print Swift declarations matching a BPF program's event structs.",
        discussion: """
            FILE is a bcc C program (compiled, not loaded), a BPF ELF object with a .BTF \
            section, or a raw BTF file. Without --type, the structs the program sends through \
            ringbuf_output, ringbuf_submit and perf_submit are printed, with every struct, \
            union and enum they contain. Each struct conforms to BPFEvent, so opening a ring \
            with it checks its layout against the program's BTF.
            """)

    @Argument(help: "A bcc C program (.c), a BPF object (.o) or a BTF file.")
    var file: String

    @Option(name: .customLong("type"), help: "A struct, union or typedef to declare (repeatable): `struct data_t`, `data_t`.")
    var typeNames: [String] = []

    @Option(name: .customLong("cflag"), help: "An extra compiler flag for a C program (repeatable).")
    var cflags: [String] = []

    @Flag(name: .customLong("no-import"), help: "Omit `import BCC` (for compiling together with BPFEvent.swift).")
    var noImport = false

    func run() throws {
        var declarations: SwiftEventDeclarations
        if file.hasSuffix(".c") {
            declarations = try SwiftEventDeclarations.forProgram(srcFile: file, cflags: cflags, typeNames: typeNames)
        } else {
            guard let bytes = try? ProcFile.bytes(file) else { throw ValidationError("cannot read \(file)") }
            declarations = try SwiftEventDeclarations.forObject(bytes, path: file, typeNames: typeNames)
        }
        declarations.importsBCC = !noImport
        var output = StandardOutput()
        output.write(try declarations.source())
    }
}
