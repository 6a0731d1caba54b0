// BPF_STACK_TRACE tables: the addresses get_stackid stored, and their names.
import EBPF

/// One frame of a stack trace: its address and the name it resolves to.
public struct StackFrame: Hashable, Sendable {
    /// The instruction address.
    public var address: UInt64
    /// The symbol, as ``KernelSymbols/ksym(_:showModule:showOffset:)`` or
    /// ``UserSymbols/sym(_:pid:showModule:showOffset:)`` spells it.
    public var symbol: String
}

extension Table {
    /// The addresses of stack `stackID` in a BPF_STACK_TRACE table, innermost
    /// first (bcc's `walk`), ending before the first zero.
    ///
    /// - Throws: ``BCCError/invalidUse(object:detail:)`` for a negative id (an
    ///   error get_stackid returned in BPF) or an id with no stack stored.
    public func walk(_ stackID: Int64) throws(BCCError) -> [UInt64] {
        guard map.type == .stackTrace else {
            throw .invalidUse(object: "table '\(name)'", detail: "it is a \(map.type) map, not a stack trace map")
        }
        guard map.flags & Self.stackBuildIDFlag == 0 else {
            throw .invalidUse(object: "table '\(name)'", detail: "it is a BPF_STACK_TRACE_BUILDID table; use walkBuildIDs")
        }
        guard stackID >= 0, let id = UInt32(exactly: stackID) else {
            throw .invalidUse(object: "table '\(name)'",
                              detail: "stack id \(stackID) is get_stackid's error \(-stackID), not a stack")
        }
        guard let value = try self[withUnsafeBytes(of: id.littleEndian) { Array($0) }] else {
            throw .invalidUse(object: "table '\(name)'", detail: "no stack with id \(stackID)")
        }
        var addresses: [UInt64] = []
        addresses.reserveCapacity(value.count / 8)
        var offset = 0
        while offset + 8 <= value.count {
            let address = value.withUnsafeBytes { EventDecoder.unsignedInteger(8, at: offset, in: $0) }
            if address == 0 { break }
            addresses.append(address)
            offset += 8
        }
        return addresses
    }

    /// Stack `stackID` with each address named: kernel symbols when `pid` is
    /// nil (a kernel stack), else the symbols of process `pid` (a stack taken
    /// with BPF_F_USER_STACK).
    public func stack(_ stackID: Int64, pid: Int32? = nil, showModule: Bool = false,
                      showOffset: Bool = false) throws(BCCError) -> [StackFrame] {
        try walk(stackID).map { address in
            let symbol = if let pid {
                UserSymbols.sym(address, pid: pid, showModule: showModule, showOffset: showOffset)
            } else {
                KernelSymbols.ksym(address, showModule: showModule, showOffset: showOffset)
            }
            return StackFrame(address: address, symbol: symbol)
        }
    }
}
