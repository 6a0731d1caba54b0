import EBPF
import Synchronization

/// A USDT semaphore raised in a process's memory for as long as a probe is
/// attached there: the probe's site runs only while its semaphore is above
/// zero. Closing lowers it again (unless the process has exited).
final class USDTSemaphoreHold: Link, Sendable {
    let target: String
    private let pid: Int32
    private let address: UInt64
    private let closed = Mutex(false)

    /// Raises the 2-byte counter at `address` in process `pid`.
    init(pid: Int32, address: UInt64, probe: String) throws(BPFError) {
        self.pid = pid
        self.address = address
        target = "semaphore of USDT probe \(probe) at 0x\(String(address, radix: 16)) in process \(pid)"
        try ProcessMemory(pid: pid).addToCounter(1, at: address)
    }

    var isClosed: Bool { closed.withLock { $0 } }

    /// Lowers the semaphore. A process that has exited has nothing to lower.
    func close() {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        _ = try? ProcessMemory(pid: pid).addToCounter(-1, at: address)
    }

    deinit { close() }
}
