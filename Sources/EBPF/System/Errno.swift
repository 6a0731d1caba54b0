#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An errno from a failed system call, before it gets the context that
/// turns it into a `BPFError`.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The errno value.
    public let rawValue: Int32

    /// Wraps an errno value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current errno.
    static var current: Errno { Errno(rawValue: errno) }

    /// A readable summary for messages and logs.
    public var description: String { BPFError.errorName(rawValue) }

    /// Adds the operation and object this errno belongs to.
    public func error(operation: String, object: String, invalidDetail: String? = nil) -> BPFError {
        BPFError.from(errno: rawValue, operation: operation, object: object, invalidDetail: invalidDetail)
    }
}
