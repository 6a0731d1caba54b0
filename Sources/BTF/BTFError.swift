/// Why a BTF blob could not be decoded or turned into C.
///
/// Offsets are byte offsets from the start of the blob; type IDs are the
/// global IDs (base types included for split BTF).
public enum BTFError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The blob ends before `what` (which needs `needed` bytes at `offset`).
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// The first two bytes are not the BTF magic 0xEB9F in either byte order.
    case badMagic(found: UInt16)
    /// A BTF version other than 1.
    case unsupportedVersion(UInt8)
    /// The header's section layout is inconsistent.
    case badHeader(String)
    /// The string section is malformed.
    case badStrings(String)
    /// Type `id`, whose record starts at byte `offset`, is malformed.
    case badType(id: UInt32, offset: Int, problem: String)
    /// Type `id` reaches itself where C cannot express that (a struct that
    /// contains itself, a typedef or pointer loop without a named struct).
    case typeCycle(id: UInt32, problem: String)
    /// Type `id` nests deeper than `limit` levels.
    case nestingTooDeep(id: UInt32, limit: Int)
    /// The C header would exceed `limit` bytes (32 times the BTF's size):
    /// only crafted BTF (huge padding gaps written many times) does that.
    case headerTooLarge(limit: Int)
    /// A value of `type` has no layout to read: its `member` ("" for the
    /// type itself) has no size, lies outside it, or is a bitfield that
    /// cannot be read.
    case unsupportedLayout(type: String, member: String, problem: String)

    /// A sentence naming the problem and where it is.
    public var description: String {
        switch self {
        case let .truncated(what, offset, needed, available):
            return "BTF truncated: \(what) needs \(needed) bytes at offset \(offset), but only \(max(0, available - offset)) remain"
        case let .badMagic(found):
            return "not BTF: magic is 0x\(String(found, radix: 16)), expected 0xeb9f"
        case let .unsupportedVersion(version):
            return "unsupported BTF version \(version) (only version 1 exists)"
        case let .badHeader(problem):
            return "malformed BTF header: \(problem)"
        case let .badStrings(problem):
            return "malformed BTF string section: \(problem)"
        case let .badType(id, offset, problem):
            return "malformed BTF type [\(id)] at offset \(offset): \(problem)"
        case let .typeCycle(id, problem):
            return "BTF type [\(id)] \(problem)"
        case let .nestingTooDeep(id, limit):
            return "BTF type [\(id)] nests deeper than \(limit) levels"
        case let .headerTooLarge(limit):
            return "the C header for this BTF would exceed \(limit) bytes"
        case let .unsupportedLayout(type, member, problem):
            return member.isEmpty ? "\(type): \(problem)" : "\(type), member '\(member)': \(problem)"
        }
    }
}
