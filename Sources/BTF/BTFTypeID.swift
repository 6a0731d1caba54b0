/// A BTF type ID. ID 0 is `void`; in split BTF the IDs continue after the
/// base's last ID.
public struct BTFTypeID: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    /// The ID as stored in BTF records.
    public var rawValue: UInt32

    /// Wraps a raw ID.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Wraps a raw ID.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Wraps an integer literal.
    public init(integerLiteral value: UInt32) { self.rawValue = value }

    /// The `void` type (ID 0).
    public static let void = BTFTypeID(0)

    /// Orders by raw value.
    public static func < (lhs: BTFTypeID, rhs: BTFTypeID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `[N]`, as bpftool prints IDs.
    public var description: String { "[\(rawValue)]" }
}
