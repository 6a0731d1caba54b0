// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK tables: push, pop and peek, as
// bcc's QueueStack table (these maps have values but no keys).
import CBPF
import EBPF
import Glibc

extension Table {
    /// Adds `value` to a queue or stack map (bcc's `push`). With `overwrite`,
    /// a full map drops its oldest value to make room (BPF_EXIST).
    public func push(_ value: [UInt8], overwrite: Bool = false) throws(BCCError) {
        try requireQueueOrStack("push")
        try kernel("push") { try map.update(key: [], value: value, flags: overwrite ? .exist : .any) }
    }

    /// The next value without removing it (bcc's `peek`), or nil when empty.
    public func peek() throws(BCCError) -> [UInt8]? {
        try requireQueueOrStack("peek")
        return try kernel("peek") { try map.lookup(key: []) }
    }

    /// Removes and returns the next value (bcc's `pop`): the oldest of a
    /// queue, the newest of a stack; nil when empty.
    public func pop() throws(BCCError) -> [UInt8]? {
        try requireQueueOrStack("pop")
        var value = [UInt8](repeating: 0, count: valueSize)
        var attr = bpf_attr()
        attr.map_fd = UInt32(bitPattern: map.fd.rawValue)
        let result = value.withUnsafeMutableBytes { bytes -> Result<Bool, Errno> in
            attr.value = UInt64(UInt(bitPattern: bytes.baseAddress))
            do throws(Errno) {
                _ = try Syscall.bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &attr)
                return .success(true)
            } catch {
                return error.rawValue == ENOENT ? .success(false) : .failure(error)
            }
        }
        switch result {
        case .success(let found): return found ? value : nil
        case .failure(let error):
            throw .kernel(operation: "pop", object: "table '\(name)'",
                          cause: error.error(operation: "pop from", object: map.objectName))
        }
    }

    private func requireQueueOrStack(_ operation: String) throws(BCCError) {
        guard map.type == .queue || map.type == .stack else {
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a queue or stack map; this is a \(map.type) map")
        }
    }
}
