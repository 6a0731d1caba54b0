/// One decoded value of an event record: what a C member held, copied out
/// of the record so it outlives the callback.
///
///     event.pid?.int          // 123
///     event.comm?.string      // "bash"
///     event.origin?.x?.int    // nested struct member
///
/// A member whose name is also a property here (`int`, `string`, `array`,
/// `fields`, ...) is reached by subscript: `value["array"]`.
@dynamicMemberLookup
public enum EventValue: Sendable, Equatable, CustomStringConvertible {
    /// A signed integer (`int`, `pid_t`, `__s64`, a single `char`).
    case signed(Int64)
    /// An unsigned integer (`__u32`, `uint32_t`, `u64`, `unsigned char`).
    case unsigned(UInt64)
    /// A `_Bool` / `bool`.
    case bool(Bool)
    /// An enum: the enumerator's name when the value has one, and the value.
    case enumeration(name: String?, value: Int64)
    /// A `float` or `double`.
    case float(Double)
    /// A `char` array, up to its first NUL (invalid UTF-8 is replaced).
    case text(String)
    /// A pointer: the address it held.
    case pointer(UInt64)
    /// An array other than a `char` array.
    case array([EventValue])
    /// A nested struct or union: its members in declaration order (a
    /// union's members all decode from the same bytes).
    case structure([EventField])
    /// A value with no Swift scalar (`__int128`, `long double`): its bytes.
    case bytes([UInt8])

    // MARK: - Typed accessors

    /// The value as a signed integer: integers that fit, bools (0 or 1) and
    /// enums; nil otherwise.
    public var int: Int64? {
        switch self {
        case let .signed(value): value
        case let .unsigned(value): Int64(exactly: value)
        case let .bool(value): value ? 1 : 0
        case let .enumeration(_, value): value
        default: nil
        }
    }

    /// The value as an unsigned integer: non-negative integers, bools,
    /// non-negative enums and pointers; nil otherwise.
    public var uint: UInt64? {
        switch self {
        case let .signed(value): UInt64(exactly: value)
        case let .unsigned(value), let .pointer(value): value
        case let .bool(value): value ? 1 : 0
        case let .enumeration(_, value): UInt64(exactly: value)
        default: nil
        }
    }

    /// The text of a `char` array, or an enum's enumerator name; nil otherwise.
    public var string: String? {
        switch self {
        case let .text(text): text
        case let .enumeration(name, _): name
        default: nil
        }
    }

    /// A bool, or an integer compared with zero; nil for other values.
    public var bool: Bool? {
        switch self {
        case let .bool(value): value
        case let .signed(value): value != 0
        case let .unsigned(value): value != 0
        default: nil
        }
    }

    /// A float, or an integer converted to `Double`; nil for other values.
    public var double: Double? {
        switch self {
        case let .float(value): value
        case let .signed(value): Double(value)
        case let .unsigned(value): Double(value)
        default: nil
        }
    }

    /// The elements of an array; nil for other values.
    public var array: [EventValue]? {
        if case let .array(elements) = self { return elements }
        return nil
    }

    /// The members of a nested struct or union; nil for other values.
    public var fields: [EventField]? {
        if case let .structure(fields) = self { return fields }
        return nil
    }

    /// The member `name` of a nested struct or union.
    public subscript(name: String) -> EventValue? {
        fields?.first { $0.name == name }?.value
    }

    /// Element `index` of an array, or nil when out of range.
    public subscript(index: Int) -> EventValue? {
        guard let elements = array, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The member `name` of a nested struct or union: `event.origin?.x`.
    public subscript(dynamicMember name: String) -> EventValue? { self[name] }

    /// The value as `swift-bcc run` prints it: `123`, `bash`, `{x=1 y=2}`, `[1,2]`.
    public var description: String {
        var text = ""
        EventText.describe(self, into: &text)
        return text
    }
}

/// A named member of a decoded struct or union.
public struct EventField: Sendable, Equatable {
    /// The C member's name.
    public var name: String
    /// The decoded value.
    public var value: EventValue

    /// A member named `name` holding `value`.
    public init(name: String, value: EventValue) {
        self.name = name
        self.value = value
    }
}
