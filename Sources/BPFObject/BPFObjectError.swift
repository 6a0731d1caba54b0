import BTF
import ELF

// MARK: - BPFObjectError

/// Why a BPF object file could not be understood.
///
/// Each case names the object part at fault: a section, a program, a map,
/// or an instruction within a program.
public enum BPFObjectError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The ELF container itself is malformed.
    case elf(ELFError)
    /// The object's `.BTF` or `.BTF.ext` is malformed.
    case btf(BTFError)
    /// A part of the object makes no sense: `what` names it, `detail` says why.
    case malformed(what: String, detail: String)
    /// The object uses something this loader does not implement.
    case unsupported(what: String, detail: String)

    /// A sentence naming the problem and where it is.
    public var description: String {
        switch self {
        case let .elf(error): return "BPF object: \(error)"
        case let .btf(error): return "BPF object: \(error)"
        case let .malformed(what, detail): return "BPF object: \(what): \(detail)"
        case let .unsupported(what, detail): return "BPF object: \(what) is not supported: \(detail)"
        }
    }
}
