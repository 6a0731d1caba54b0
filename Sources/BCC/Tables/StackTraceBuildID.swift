// BPF_STACK_TRACE_BUILDID tables: each frame is the build id of the ELF file
// the address lies in and the offset into it (bcc's BPF_F_STACK_BUILD_ID),
// so a stack can be symbolized later, on another machine.
import EBPF

/// One frame of a build-id stack trace (struct bpf_stack_build_id).
public struct StackBuildIDFrame: Hashable, Sendable {
    /// What the kernel could find for the frame.
    public enum Status: Int32, Sendable {
        /// The file's build id and the offset into it.
        case valid = 1
        /// No build id could be read: `address` holds the raw instruction address.
        case addressOnly = 2
    }

    /// Whether `buildID` and `offset` are valid.
    public var status: Status
    /// The 20-byte build id of the file (zeros when `status` is `.addressOnly`).
    public var buildID: [UInt8]
    /// The offset into that file, or the instruction address for `.addressOnly`.
    public var offset: UInt64

    /// The build id in lowercase hex, as `readelf -n` and `file` print it.
    public var buildIDHex: String { Self.hex(buildID) }

    /// `bytes` in lowercase hex.
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }

    /// The size of struct bpf_stack_build_id.
    static let size = 32
}

extension Table {
    /// The frames of stack `stackID` in a BPF_STACK_TRACE_BUILDID table,
    /// innermost first, ending before the first empty one.
    ///
    /// - Throws: ``BCCError/invalidUse(object:detail:)`` for a table that is not
    ///   a build-id stack table, a negative id (get_stackid's error) or an id
    ///   with no stack stored.
    public func walkBuildIDs(_ stackID: Int64) throws(BCCError) -> [StackBuildIDFrame] {
        guard map.type == .stackTrace, map.flags & Self.stackBuildIDFlag != 0 else {
            throw .invalidUse(object: "table '\(name)'", detail: "it is not a BPF_STACK_TRACE_BUILDID table; use walk for addresses")
        }
        guard stackID >= 0, let id = UInt32(exactly: stackID) else {
            throw .invalidUse(object: "table '\(name)'",
                              detail: "stack id \(stackID) is get_stackid's error \(-stackID), not a stack")
        }
        guard let value = try self[withUnsafeBytes(of: id.littleEndian) { Array($0) }] else {
            throw .invalidUse(object: "table '\(name)'", detail: "no stack with id \(stackID)")
        }
        var frames: [StackBuildIDFrame] = []
        var offset = 0
        while offset + StackBuildIDFrame.size <= value.count {
            let raw = Int32(bitPattern: UInt32(value.withUnsafeBytes { EventDecoder.unsignedInteger(4, at: offset, in: $0) }))
            guard let status = StackBuildIDFrame.Status(rawValue: raw) else { break }
            frames.append(StackBuildIDFrame(status: status, buildID: Array(value[offset + 4 ..< offset + 24]),
                                            offset: value.withUnsafeBytes { EventDecoder.unsignedInteger(8, at: offset + 24, in: $0) }))
            offset += StackBuildIDFrame.size
        }
        return frames
    }

    /// BPF_F_STACK_BUILD_ID: the stack map stores build ids and offsets.
    static var stackBuildIDFlag: UInt32 { 1 << 5 }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
