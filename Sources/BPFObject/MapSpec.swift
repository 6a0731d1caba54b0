import BTF

// MARK: - MapSpec

/// A map the object declares: a BTF-defined map in `.maps`, or a global data
/// section (`.data`, `.rodata`, `.bss`, `.rodata.*`) turned into a
/// single-entry array.
public struct MapSpec: Hashable, Sendable {
    /// The map's name: the variable name for `.maps`, the section name for global data.
    public var name: String
    /// The map type.
    public var type: MapType
    /// Key size in bytes.
    public var keySize: Int
    /// Value size in bytes.
    public var valueSize: Int
    /// `max_entries`.
    public var maxEntries: Int
    /// `map_flags`.
    public var flags: UInt32
    /// BTF type ID of the key in the object's BTF (`.void` when none).
    public var keyTypeID: BTFTypeID
    /// BTF type ID of the value in the object's BTF (`.void` when none); the DATASEC for global data.
    public var valueTypeID: BTFTypeID
    /// Initial contents of entry 0, for global data sections (zeros for `.bss`).
    public var initialValue: [UInt8]?
    /// True for `.rodata*`: the map is frozen after its contents are written.
    public var freezeAfterLoad: Bool
    /// For array-of-maps and hash-of-maps: the inner maps' definition
    /// (`__array(values, struct { ... })`), from which the loader makes the
    /// template map the kernel needs.
    public var innerMap: MapSpec? {
        get { innerMapStorage.first }
        set { innerMapStorage = newValue.map { [$0] } ?? [] }
    }
    /// `innerMap`'s storage: a struct cannot hold itself directly.
    var innerMapStorage: [MapSpec] = []

    /// BPF_F_RDONLY_PROG: programs may read the map but not write it.
    public static let readOnlyProgramFlag: UInt32 = 0x80

    /// True for a map made from a global data section.
    public var isGlobalData: Bool { initialValue != nil }
}

// MARK: - GlobalVariable

/// A global variable in a data section, as the symbol table and BTF describe it.
/// The loader uses these to set `.rodata` constants before load.
public struct GlobalVariable: Hashable, Sendable {
    /// The variable's name.
    public var name: String
    /// The data section (and map) holding it.
    public var section: String
    /// Offset within the section.
    public var offset: Int
    /// Size in bytes.
    public var size: Int
    /// Its BTF type in the object's BTF, when known (`.void` otherwise).
    public var typeID: BTFTypeID
}
