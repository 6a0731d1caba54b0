#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An errno from a failed system call, before it gets the context that
/// turns it into a ``BPFError``. Package-internal: EBPF's public API throws
/// only `BPFError`, whose cases carry the errno where one matters.
package struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The errno value.
    package let rawValue: Int32

    /// Wraps an errno value.
    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current errno.
    static var current: Errno { Errno(rawValue: errno) }

    /// A readable summary for messages and logs.
    package var description: String { BPFError.errorName(rawValue) }

    /// Adds the operation and object this errno belongs to.
    package func error(operation: String, object: String, invalidDetail: String? = nil) -> BPFError {
        BPFError.from(errno: rawValue, operation: operation, object: object, invalidDetail: invalidDetail)
    }

    /// Runs `call`, a system call that returns a negative number and sets
    /// errno when it fails, again for as long as it fails with EINTR: the one
    /// place EBPF retries interrupted calls (close(2) is never retried; see
    /// ``OwnedFD/close()``).
    @inline(__always)
    package static func retryingInterrupts<Result: FixedWidthInteger & SignedInteger>(
        _ call: () -> Result
    ) throws(Errno) -> Result {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code != EINTR { throw Errno(rawValue: code) }
        }
    }
}

extension Result where Failure == Errno {
    /// The errno of a failure, 0 for a success: for the closures of the
    /// standard library's `withUnsafe…` methods, which erase typed errors.
    var errno: Int32 {
        if case .failure(let error) = self { return error.rawValue }
        return 0
    }
}
