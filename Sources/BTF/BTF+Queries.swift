// MARK: - Strings

extension BTF {
    /// The owner and absolute byte range of the NUL-terminated string at
    /// string-section `offset` (base strings first for split BTF).
    @inline(__always)
    func stringLocation(_ offset: UInt32) -> (BTFStorage, Int)? {
        var owner = storage
        while offset < owner.stringBase, let base = owner.base { owner = base.storage }
        let local = Int(offset - owner.stringBase)
        guard local < owner.header.stringSectionLength else { return nil }
        return (owner, owner.header.stringSectionOffset + local)
    }

    /// True when the string at `offset` is empty (or out of range).
    func stringIsEmpty(at offset: UInt32) -> Bool {
        guard let (owner, start) = stringLocation(offset) else { return true }
        return owner.bytes[start] == 0
    }

    /// Calls `body` with the bytes of the string at `offset` (without the
    /// NUL). Out-of-range offsets give an empty buffer.
    func withStringBytes<R>(at offset: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard let (owner, start) = stringLocation(offset) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try owner.bytes.withUnsafeBufferPointer { buffer in
            // The section ends with NUL (checked at decode), so this stops inside it.
            var end = start
            while buffer[end] != 0 { end += 1 }
            return try body(UnsafeBufferPointer(rebasing: buffer[start..<end]))
        }
    }

    /// The string at string-section `offset`, or nil when out of range.
    public func string(atOffset offset: UInt32) -> String? {
        guard stringLocation(offset) != nil else { return nil }
        return withStringBytes(at: offset) { String(decoding: $0, as: UTF8.self) }
    }

    /// The name of type `id` ("" for anonymous types and void).
    public func name(of id: BTFTypeID) -> String {
        guard id.rawValue != 0, id.rawValue < storage.typeCount else { return "" }
        return string(atOffset: rawType(id).nameOffset) ?? ""
    }
}

// MARK: - Entries

extension BTF {
    /// The members of a struct or union (empty for other kinds).
    public func members(of id: BTFTypeID) -> [BTFMember] {
        guard let type = type(id: id), type.kind.isComposite else { return [] }
        return (0..<type.vlen).map { member(of: id, at: $0, kindFlag: type.kindFlag) }
    }

    /// Member `index` of a struct or union (no bounds check beyond vlen's).
    func member(of id: BTFTypeID, at index: Int, kindFlag: Bool) -> BTFMember {
        let offsetWord = word(id.rawValue, index * 3 + 2)
        return BTFMember(
            name: string(atOffset: word(id.rawValue, index * 3)) ?? "",
            type: BTFTypeID(word(id.rawValue, index * 3 + 1)),
            bitOffset: Int(kindFlag ? offsetWord & 0xff_ffff : offsetWord),
            bitfieldSize: kindFlag ? Int(offsetWord >> 24) : 0)
    }

    /// The enumerators of an enum or enum64 (empty for other kinds).
    public func enumValues(of id: BTFTypeID) -> [BTFEnumValue] {
        guard let type = type(id: id), type.kind.isEnum else { return [] }
        let stride = type.kind == .enum ? 2 : 3
        return (0..<type.vlen).map { index in
            let name = string(atOffset: word(id.rawValue, index * stride)) ?? ""
            let low = word(id.rawValue, index * stride + 1)
            let bits: UInt64
            if type.kind == .enum64 {
                bits = UInt64(word(id.rawValue, index * stride + 2)) << 32 | UInt64(low)
            } else {
                bits = type.kindFlag ? UInt64(bitPattern: Int64(Int32(bitPattern: low))) : UInt64(low)
            }
            return BTFEnumValue(name: name, bits: bits, isSigned: type.kindFlag)
        }
    }

    /// The parameters of a function prototype (empty for other kinds).
    public func parameters(of id: BTFTypeID) -> [BTFParameter] {
        guard let type = type(id: id), type.kind == .functionPrototype else { return [] }
        return (0..<type.vlen).map { index in
            BTFParameter(
                name: string(atOffset: word(id.rawValue, index * 2)) ?? "",
                type: BTFTypeID(word(id.rawValue, index * 2 + 1)))
        }
    }

    /// The element type, index type and count of an array (nil for other kinds).
    public func array(of id: BTFTypeID) -> BTFArray? {
        guard kind(of: id) == .array else { return nil }
        return BTFArray(
            elementType: BTFTypeID(word(id.rawValue, 0)), indexType: BTFTypeID(word(id.rawValue, 1)),
            count: Int(word(id.rawValue, 2)))
    }

    /// The encoding of an int type (nil for other kinds).
    public func intEncoding(of id: BTFTypeID) -> BTFIntEncoding? {
        guard kind(of: id) == .int else { return nil }
        let encoding = word(id.rawValue, 0)
        let flags = (encoding >> 24) & 0xf
        return BTFIntEncoding(
            isSigned: flags & 1 != 0, isChar: flags & 2 != 0, isBool: flags & 4 != 0,
            bitOffset: Int((encoding >> 16) & 0xff), bits: Int(encoding & 0xff))
    }

    /// The linkage of a function or variable (nil for other kinds).
    public func linkage(of id: BTFTypeID) -> BTFLinkage? {
        switch kind(of: id) {
        case .function: BTFLinkage(rawValue: UInt32(rawType(id).vlen))
        case .variable: BTFLinkage(rawValue: word(id.rawValue, 0))
        default: nil
        }
    }

    /// The variables of a data section (empty for other kinds).
    public func dataSectionEntries(of id: BTFTypeID) -> [BTFDataSectionEntry] {
        guard kind(of: id) == .dataSection else { return [] }
        return (0..<rawType(id).vlen).map { index in
            BTFDataSectionEntry(
                type: BTFTypeID(word(id.rawValue, index * 3)), offset: Int(word(id.rawValue, index * 3 + 1)),
                size: Int(word(id.rawValue, index * 3 + 2)))
        }
    }

    /// The member or parameter index a declaration tag applies to (-1: the
    /// whole type); nil for other kinds.
    public func declarationTagComponent(of id: BTFTypeID) -> Int? {
        guard kind(of: id) == .declarationTag else { return nil }
        return Int(Int32(bitPattern: word(id.rawValue, 0)))
    }

    /// The kind of type `id` (`.void` for 0 and out-of-range IDs).
    public func kind(of id: BTFTypeID) -> BTFKind {
        id.rawValue < storage.typeCount ? kind(id.rawValue) : .void
    }
}

// MARK: - Layout

extension BTF {
    func resolvedSize(_ location: (BTFStorage, Int)) -> UInt64 { location.0.sizes[location.1] }
    func storedAlignment(_ location: (BTFStorage, Int)) -> UInt8 { location.0.alignments[location.1] }

    /// The size of type `id` in bytes, through typedefs, qualifiers and
    /// arrays; nil for void, functions, prototypes, forward declarations
    /// and tags.
    public func size(of id: BTFTypeID) -> Int? {
        guard id.rawValue != 0, id.rawValue < storage.typeCount else { return nil }
        let size = resolvedSize(locate(id.rawValue))
        return size == BTFStorage.unsized ? nil : Int(size)
    }

    /// The alignment of type `id` in bytes, as the compiler lays it out for
    /// BPF (64-bit): packed structs have alignment 1. Nil when the type has
    /// no alignment (void, functions, forward declarations).
    public func alignment(of id: BTFTypeID) -> Int? {
        guard id.rawValue != 0, id.rawValue < storage.typeCount else { return nil }
        let alignment = storedAlignment(locate(id.rawValue))
        return alignment == 0 ? nil : Int(alignment)
    }

    /// `id` with qualifiers (const, volatile, restrict) and type tags
    /// stripped; typedefs are kept.
    public func skippingModifiers(_ id: BTFTypeID) -> BTFTypeID {
        var current = id
        // Decoding rejected qualifier loops, so this terminates.
        while current.rawValue < storage.typeCount, kind(current.rawValue).isModifier {
            current = BTFTypeID(rawType(current).sizeOrType)
        }
        return current
    }

    /// `id` with typedefs, qualifiers and type tags stripped: the type that
    /// determines the layout.
    public func resolved(_ id: BTFTypeID) -> BTFTypeID {
        var current = id
        while current.rawValue < storage.typeCount {
            let kind = kind(current.rawValue)
            guard kind.isModifier || kind == .typedef else { break }
            current = BTFTypeID(rawType(current).sizeOrType)
        }
        return current
    }
}

// MARK: - Lookup by name

extension BTF {
    /// All types (base types included) named `name`, in ID order.
    public func types(named name: String) -> [BTFType] {
        var result: [BTFType] = []
        if let base { result = base.types(named: name) }
        let ids = storage.nameIndex.withLock { index -> [BTFTypeID] in
            if index == nil { index = buildNameIndex() }
            return index?[name] ?? []
        }
        result += ids.compactMap { type(id: $0) }
        return result
    }

    /// All types named `name` of `kind`, in ID order.
    public func types(named name: String, kind: BTFKind) -> [BTFType] {
        types(named: name).filter { $0.kind == kind }
    }

    /// The first type named `name` of `kind`, or nil.
    public func firstType(named name: String, kind: BTFKind) -> BTFType? {
        types(named: name).first { $0.kind == kind }
    }

    /// All types of `kind`, in ID order.
    public func types(ofKind kind: BTFKind) -> [BTFType] {
        (1..<storage.typeCount).compactMap { id in
            self.kind(id) == kind ? type(id: BTFTypeID(id)) : nil
        }
    }

    private func buildNameIndex() -> [String: [BTFTypeID]] {
        var index: [String: [BTFTypeID]] = [:]
        index.reserveCapacity(storage.records.count)
        for (offset, record) in storage.records.enumerated() where record.nameOffset != 0 {
            let name = string(atOffset: record.nameOffset) ?? ""
            guard !name.isEmpty else { continue }
            index[name, default: []].append(BTFTypeID(storage.firstID + UInt32(offset)))
        }
        return index
    }
}
