#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A file descriptor owned by exactly one value: closed once, by `close()`
/// or when the last reference goes away.
///
/// Maps, programs, links, BTF objects, perf events, epoll sets and files
/// hand their descriptor to an `OwnedFD`; nothing else closes it. Reads and
/// writes through it retry EINTR (see ``Errno/retryingInterrupts(_:)``).
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

// MARK: - Files

extension OwnedFD {
    /// Opens `path` with `flags` (O_CLOEXEC is added); `mode` is a created file's permissions.
    ///
    /// - Throws: `BPFError.notFound` for a missing file, `.permissionDenied`,
    ///   or `.system` naming the path.
    package static func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(BPFError) -> OwnedFD {
        do {
            return OwnedFD(rawValue: try Errno.retryingInterrupts { Glibc.open(path, flags | O_CLOEXEC, mode) })
        } catch {
            switch error.rawValue {
            case ENOENT: throw .notFound(what: path)
            case EACCES, EPERM: throw .permissionDenied(operation: "open \(path)")
            default: throw .system(operation: "open", object: path, errno: error.rawValue)
            }
        }
    }

    /// One read(2) into `buffer`: the bytes read, 0 at end of file.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try Errno.retryingInterrupts { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// One write(2) of `buffer`: the bytes written, which may be fewer.
    package func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try Errno.retryingInterrupts { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Everything up to end of file (sysfs and procfs files report a size
    /// of 0, so the size is not asked), `chunkSize` bytes per read(2).
    /// `object` names the file in errors.
    package func readAll(object: String, chunkSize: Int = 1 << 16) throws(BPFError) -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 8)
        defer { chunk.deallocate() }
        while true {
            let count: Int
            do {
                count = try read(into: chunk)
            } catch {
                throw .system(operation: "read", object: object, errno: error.rawValue)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Writes all of `bytes`, continuing after short writes (pipes, sockets,
    /// terminals). `object` names the destination in errors.
    package func writeAll(_ bytes: UnsafeRawBufferPointer, object: String) throws(BPFError) {
        var offset = 0
        while offset < bytes.count {
            do {
                offset += try write(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            } catch {
                throw .system(operation: "write", object: object, errno: error.rawValue)
            }
        }
    }
}
