// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK tables: push, pop and peek, as
// bcc's QueueStack table (these maps have values but no keys).
import EBPF

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
        return try kernel("pop") { try map.lookupAndDelete(key: []) }
    }

    private func requireQueueOrStack(_ operation: String) throws(BCCError) {
        guard map.type == .queue || map.type == .stack else {
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a queue or stack map; this is a \(map.type) map")
        }
    }
}
