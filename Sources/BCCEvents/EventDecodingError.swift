import BTF

/// Why a record could not be decoded as its C struct, or why a Swift type
/// does not match the C layout it is meant to mirror.
public enum EventDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The BTF has no struct, union or typedef with this name.
    case typeNotFound(name: String)
    /// The program recorded no event struct for this table (its output
    /// calls pass something other than a struct or a pointer to one).
    case eventTypeNotRecorded(table: String)
    /// The type is not a struct or union (events decode into fields).
    case notAStruct(type: String, kind: String)
    /// A member of `type` cannot be decoded (no size, or outside the struct).
    case unsupportedMember(type: String, member: String, detail: String)
    /// Decoding `type` would produce more than `limit` values.
    case tooManyValues(type: String, limit: Int)
    /// The record has `size` bytes but `type` needs `needed`.
    case recordTooShort(type: String, size: Int, needed: Int)
    /// The Swift type's layout differs from the C struct's.
    case layoutMismatch(swiftType: String, cType: String, detail: String)

    /// A sentence naming the problem and the type or table it concerns.
    public var description: String {
        switch self {
        case let .typeNotFound(name):
            return "no struct, union or typedef named '\(name)' in the program's BTF"
        case let .eventTypeNotRecorded(table):
            return "table '\(table)': no event struct recorded (pass a struct, or a pointer to one, "
                + "to ringbuf_output, ringbuf_submit or perf_submit)"
        case let .notAStruct(type, kind):
            return "\(type) is a \(kind), not a struct or union"
        case let .unsupportedMember(type, member, detail):
            return "\(type), member '\(member)': \(detail)"
        case let .tooManyValues(type, limit):
            return "\(type) decodes into more than \(limit) values"
        case let .recordTooShort(type, size, needed):
            return "record of \(size) bytes is shorter than \(type) (\(needed) bytes)"
        case let .layoutMismatch(swiftType, cType, detail):
            return "Swift type \(swiftType) does not match \(cType): \(detail)"
        }
    }
}

// MARK: - Layouts

extension EventDecodingError {
    /// The layout of the struct or union `id` (typedefs followed); `name`
    /// (its C spelling) labels errors. BTF's layout problems become
    /// ``unsupportedMember(type:member:detail:)``.
    package static func compositeLayout(of id: BTFTypeID, in btf: BTF, name: String) throws(EventDecodingError) -> BTFCompositeLayout {
        let resolved = btf.resolved(id)
        guard btf.kind(of: resolved).isComposite, case let .composite(layout) = try layout(of: resolved, in: btf, root: name) else {
            throw .notAStruct(type: name, kind: "\(btf.kind(of: resolved))")
        }
        return layout
    }

    /// The layout of type `id`; `root` (the C type being decoded) labels errors.
    package static func layout(of id: BTFTypeID, in btf: BTF, root: String) throws(EventDecodingError) -> BTFValueLayout {
        do {
            return try btf.valueLayout(of: id)
        } catch let .unsupportedLayout(type, member, problem) {
            throw member.isEmpty
                ? .unsupportedMember(type: root, member: type, detail: problem)
                : .unsupportedMember(type: type, member: member, detail: problem)
        } catch {
            throw .unsupportedMember(type: root, member: "?", detail: "\(error)")
        }
    }
}
