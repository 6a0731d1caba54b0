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
