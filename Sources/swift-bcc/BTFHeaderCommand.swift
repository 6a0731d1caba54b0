import ArgumentParser
import BCC
import BTF
import Glibc

/// `swift-bcc btf-header`: prints a C header with every type of a BTF blob,
/// the running kernel's by default.
struct BTFHeaderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "btf-header",
        abstract: "Print a C header (vmlinux.h) generated from BTF.",
        discussion: """
            Reads /sys/kernel/btf/vmlinux unless --btf names another file. For a kernel \
            module's split BTF, pass --base /sys/kernel/btf/vmlinux as well.
            """)

    @Option(name: .customLong("btf"), help: "The BTF file to read (default: /sys/kernel/btf/vmlinux).")
    var btfPath: String = "/sys/kernel/btf/vmlinux"

    @Option(name: .customLong("base"), help: "The base BTF of a split BTF file (a kernel module's).")
    var basePath: String?

    func run() throws {
        let base = try basePath.map { try BTF(bytes: Self.readFile($0)) }
        let btf: BTF
        do {
            btf = try BTF(bytes: Self.readFile(btfPath), base: base)
        } catch {
            throw ValidationError("\(btfPath): \(error)")
        }
        let header = try btf.cHeader()
        header.withUnsafeBytes { StandardOutput.writeAll(STDOUT_FILENO, $0) }
    }

    /// The file's bytes.
    static func readFile(_ path: String) throws -> [UInt8] {
        do {
            return try ProcFile.bytes(path)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
