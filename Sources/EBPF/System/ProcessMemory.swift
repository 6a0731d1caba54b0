#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Another process's memory through /proc/PID/mem: reads and writes at its
/// virtual addresses (as root, or a ptrace-capable tracer of the process).
/// USDT semaphores of a traced process are raised and lowered this way.
public struct ProcessMemory: ~Copyable {
    /// The process.
    public let pid: Int32
    private let descriptor: OwnedFD

    /// Opens /proc/`pid`/mem for reading and writing.
    ///
    /// - Throws: `BPFError.notFound` when the process is gone,
    ///   `.permissionDenied` without the right to trace it.
    public init(pid: Int32) throws(BPFError) {
        self.pid = pid
        let path = "/proc/\(pid)/mem"
        while true {
            let fd = open(path, O_RDWR | O_CLOEXEC)
            if fd >= 0 {
                descriptor = Syscall.adopt(fd)
                return
            }
            let code = errno
            switch code {
            case EINTR: continue
            case ENOENT, ESRCH: throw .notFound(what: "process \(pid) (no \(path))")
            case EACCES, EPERM: throw .permissionDenied(operation: "open \(path) (needs root or CAP_SYS_PTRACE)")
            default: throw Errno(rawValue: code).error(operation: "open", object: path)
            }
        }
    }

    /// `count` bytes at `address`.
    public func read(at address: UInt64, count: Int) throws(BPFError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let done = try transfer(at: address, count: count, what: "read") { fd, offset in
            bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, offset) }
        }
        guard done == count else {
            throw .malformed(what: "/proc/\(pid)/mem", detail: "read \(done) of \(count) bytes at 0x\(String(address, radix: 16))")
        }
        return bytes
    }

    /// Writes `bytes` at `address` (even to read-only mappings, as a debugger does).
    public func write(_ bytes: [UInt8], at address: UInt64) throws(BPFError) {
        let done = try transfer(at: address, count: bytes.count, what: "write") { fd, offset in
            bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, offset) }
        }
        guard done == bytes.count else {
            throw .malformed(what: "/proc/\(pid)/mem", detail: "wrote \(done) of \(bytes.count) bytes at 0x\(String(address, radix: 16))")
        }
    }

    /// Adds `delta` to the little-endian 2-byte counter at `address` (a USDT
    /// semaphore) and returns its new value; it never goes below 0 or above 65535.
    @discardableResult
    public func addToCounter(_ delta: Int, at address: UInt64) throws(BPFError) -> UInt16 {
        let bytes = try read(at: address, count: 2)
        let value = Int(bytes[0]) | Int(bytes[1]) << 8
        let updated = UInt16(clamping: value + delta)
        try write([UInt8(truncatingIfNeeded: updated), UInt8(truncatingIfNeeded: updated >> 8)], at: address)
        return updated
    }

    /// Runs one pread/pwrite, retried on EINTR; EIO means the address is not mapped.
    private func transfer(at address: UInt64, count: Int, what: String,
                          _ call: (Int32, off_t) -> Int) throws(BPFError) -> Int {
        // Addresses above 2^63 do not fit off_t; no user-space mapping is there.
        guard address <= UInt64(Int64.max) else {
            throw .invalidArgument(operation: "\(what) /proc/\(pid)/mem", object: "address 0x\(String(address, radix: 16))",
                                   detail: "is not a user-space address")
        }
        while true {
            let result = call(descriptor.rawValue, off_t(address))
            if result >= 0 { return result }
            let code = errno
            switch code {
            case EINTR: continue
            case EIO, EFAULT:
                throw .invalidArgument(operation: "\(what) /proc/\(pid)/mem", object: "address 0x\(String(address, radix: 16))",
                                       detail: "is not mapped in process \(pid)")
            case ESRCH: throw .notFound(what: "process \(pid) (it exited)")
            default: throw Errno(rawValue: code).error(operation: "\(what) /proc/\(pid)/mem at", object: "0x\(String(address, radix: 16))")
            }
        }
    }
}
