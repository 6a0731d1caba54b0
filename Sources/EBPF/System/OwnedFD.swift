#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A file descriptor owned by exactly one value: closed once, by `close()`
/// or when the last reference goes away.
///
/// Maps, programs, links, BTF objects and perf events hand their descriptor
/// to an `OwnedFD`; nothing else closes it.
public final class OwnedFD: Sendable, CustomStringConvertible {
    private let storage: Atomic<Int32>

    /// Takes ownership of `rawValue`, an open descriptor.
    public init(rawValue: Int32) {
        storage = Atomic(rawValue)
    }

    /// The descriptor number, or -1 once closed.
    public var rawValue: Int32 {
        storage.load(ordering: .acquiring)
    }

    /// True until `close()` runs.
    public var isOpen: Bool { rawValue >= 0 }

    /// Closes the descriptor. Calling it again does nothing.
    public func close() {
        let fd = storage.exchange(-1, ordering: .acquiringAndReleasing)
        // close(2) on Linux releases the descriptor even when it reports EINTR,
        // so it is never retried (a retry could close a reused number).
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    deinit { close() }

    /// A readable summary for messages and logs.
    public var description: String { "fd \(rawValue)" }
}
