import ArgumentParser
import BTF
import Foundation

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
        try header.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let count = write(STDOUT_FILENO, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw ValidationError("cannot write the header: \(String(cString: strerror(errno)))") }
                written += count
            }
        }
    }

    /// The file's bytes (BTF is megabytes: read in large chunks, without
    /// going through Data).
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ValidationError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw ValidationError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { return bytes }
            chunk.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<count])) }
        }
    }
}
