import ArgumentParser
import BTF

/// `swift-bcc btf 'struct task_struct'`: one kernel type's C definition from BTF.
struct BTFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "btf",
        abstract: "Print a kernel type's C definition from BTF.",
        discussion: """
            examples:
                swift-bcc btf 'struct task_struct'
                swift-bcc btf 'enum bpf_func_id'
                swift-bcc btf pid_t                 # any kind: typedefs, functions, ...
            """)

    @Option(name: .customLong("btf"), help: "The BTF file to read (default: /sys/kernel/btf/vmlinux).")
    var btfPath: String = "/sys/kernel/btf/vmlinux"

    @Argument(help: "The type: 'struct NAME', 'union NAME', 'enum NAME', 'typedef NAME' or a bare name.")
    var type: String

    func run() throws {
        let btf: BTF
        do {
            btf = try BTF(bytes: BTFHeaderCommand.readFile(btfPath))
        } catch {
            throw ValidationError("\(btfPath): \(error)")
        }
        let words = type.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let kinds: [BTFKind]
        let name: String
        switch (words.count, words.first) {
        case (2, "struct"): kinds = [.struct]; name = words[1]
        case (2, "union"): kinds = [.union]; name = words[1]
        case (2, "enum"): kinds = [.enum, .enum64]; name = words[1]
        case (2, "typedef"): kinds = [.typedef]; name = words[1]
        case (1, _): kinds = []; name = words[0]
        default: throw ValidationError("expected 'struct NAME', 'union NAME', 'enum NAME', 'typedef NAME' or a name, got '\(type)'")
        }
        let matches = kinds.isEmpty ? btf.types(named: name) : kinds.flatMap { btf.types(named: name, kind: $0) }
        guard !matches.isEmpty else {
            throw ValidationError("\(btfPath) has no type '\(type)'")
        }
        print(matches.map { btf.cDefinition(of: $0.id) }.joined(separator: "\n\n"))
    }
}
