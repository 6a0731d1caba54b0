#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A `MAP_SHARED` mapping of a kernel object (a ring buffer map, a perf
/// event), unmapped exactly once: by `unmap()` or when the owner goes away.
final class SharedMemoryMapping {
    /// The first mapped byte; nil once unmapped.
    private(set) var address: UnsafeMutableRawPointer?
    /// The mapped length in bytes.
    let length: Int

    /// Maps `length` bytes of `fd` at `offset`, readable, and writable when
    /// `writable` is set. `object` names the mapped thing in errors.
    init(fd: Int32, length: Int, offset: Int, writable: Bool, object: String) throws(BPFError) {
        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        let result = mmap(nil, length, protection, MAP_SHARED, fd, off_t(offset))
        guard let result, result != UnsafeMutableRawPointer(bitPattern: -1) else {
            let code = errno
            if code == EPERM || code == EACCES {
                throw BPFError.permissionDenied(operation: "mmap \(object)")
            }
            throw BPFError.system(operation: "mmap \(length) bytes at offset \(offset)", object: object, errno: code)
        }
        address = result
        self.length = length
    }

    /// Unmaps the memory; later calls do nothing.
    func unmap() {
        guard let address else { return }
        munmap(address, length)
        self.address = nil
    }

    deinit { unmap() }
}
