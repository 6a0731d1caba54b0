import CBPF

/// How `Map.update` treats an existing key (BPF_ANY, BPF_NOEXIST, BPF_EXIST),
/// optionally with BPF_F_LOCK.
public struct UpdateFlags: OptionSet, Hashable, Sendable {
    /// The flags word passed to BPF_MAP_UPDATE_ELEM.
    public let rawValue: UInt64

    /// Wraps a flags word.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// BPF_ANY: create the key or overwrite it.
    public static let any: UpdateFlags = []
    /// BPF_NOEXIST: create only; fails if the key exists.
    public static let noExist = UpdateFlags(rawValue: UInt64(BPF_NOEXIST))
    /// BPF_EXIST: overwrite only; fails if the key is missing.
    public static let exist = UpdateFlags(rawValue: UInt64(BPF_EXIST))
    /// BPF_F_LOCK: update under the value's bpf_spin_lock.
    public static let lock = UpdateFlags(rawValue: UInt64(BPF_F_LOCK))
}
