// MARK: - ELFError

/// Why an ELF file could not be read, or a lookup in it failed.
///
/// Every case names what was being read and where (a file offset or a
/// section), so a malformed file can be diagnosed from the message alone.
public enum ELFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A read of `length` bytes at `offset` runs past the end of the file
    /// (`fileSize` bytes) or of the section that holds it.
    case truncated(what: String, offset: Int, length: Int, available: Int)
    /// A structure is present but its contents make no sense.
    case malformed(what: String, offset: Int, detail: String)
    /// A well-formed file this reader does not handle (32-bit, big-endian, ...).
    case unsupported(detail: String)
    /// The file could not be read from disk.
    case unreadable(path: String, detail: String)
    /// A named symbol or section is absent.
    case notFound(what: String, file: String)
    /// A USDT probe's note or argument spec cannot be used: `detail` names
    /// the argument and what is wrong with it.
    case malformedProbe(binary: String, probe: String, detail: String)

    /// A sentence naming the problem and where it is.
    public var description: String {
        switch self {
        case let .truncated(what, offset, length, available):
            return "ELF: \(what) at offset \(offset) needs \(length) bytes but only \(available) are available"
        case let .malformed(what, offset, detail):
            return "ELF: malformed \(what) at offset \(offset): \(detail)"
        case let .unsupported(detail):
            return "ELF: unsupported file: \(detail)"
        case let .unreadable(path, detail):
            return "ELF: cannot read \(path): \(detail)"
        case let .notFound(what, file):
            return "ELF: \(what) not found in \(file)"
        case let .malformedProbe(binary, probe, detail):
            return "ELF: USDT probe \(probe) in \(binary): \(detail)"
        }
    }
}
