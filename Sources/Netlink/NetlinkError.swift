/// Why netlink bytes could not be understood: the part at fault and what is
/// wrong with it. The decoders never read past the bytes they were given.
public enum NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `what` needs `needed` bytes at `offset`, but only `available` are there.
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// `what` makes no sense: `detail` says why.
    case malformed(what: String, detail: String)

    /// A sentence naming the problem and where it is.
    public var description: String {
        switch self {
        case let .truncated(what, offset, needed, available):
            return "netlink: \(what) at offset \(offset) needs \(needed) bytes, \(available) left"
        case let .malformed(what, detail):
            return "netlink: \(what): \(detail)"
        }
    }
}
