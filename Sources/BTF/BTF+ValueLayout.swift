// MARK: - Building the layout model

extension BTF {
    /// The layout of a value of type `id` (typedefs and qualifiers
    /// followed), with every nested struct, union, array and enum; a type
    /// used more than once is laid out once and shared.
    ///
    /// - Throws: ``BTFError/unsupportedLayout(type:member:problem:)`` for a
    ///   type without a value (void, a function, a forward declaration), a
    ///   member without a size, not on a byte or outside its struct, and a
    ///   bitfield wider than 64 bits or of a type other than an int or enum.
    public func valueLayout(of id: BTFTypeID) throws(BTFError) -> BTFValueLayout {
        var builder = ValueLayoutBuilder(btf: self)
        return try builder.layout(of: id, depth: 0)
    }
}

/// One layout computation: the layouts made so far, by resolved type ID.
private struct ValueLayoutBuilder {
    let btf: BTF
    var built: [BTFTypeID: BTFValueLayout] = [:]

    mutating func layout(of id: BTFTypeID, depth: Int) throws(BTFError) -> BTFValueLayout {
        let id = btf.resolved(id)
        if let known = built[id] { return known }
        // Decoding rejected containment cycles; this bounds the recursion.
        guard depth < BTFDecoder.maximumNesting else {
            throw .unsupportedLayout(type: btf.cSpelling(of: id), member: "", problem: "nests deeper than \(BTFDecoder.maximumNesting) levels")
        }
        let layout = try makeLayout(id, depth: depth)
        built[id] = layout
        return layout
    }

    private mutating func makeLayout(_ id: BTFTypeID, depth: Int) throws(BTFError) -> BTFValueLayout {
        guard let type = btf.type(id: id) else {
            throw .unsupportedLayout(type: "\(id)", member: "", problem: "type \(id) is out of range")
        }
        let size = btf.size(of: id) ?? 0
        switch type.kind {
        case .int:
            let encoding = btf.intEncoding(of: id)
            let isBool = encoding?.isBool ?? false
            // clang marks no int as BTF_INT_CHAR: `char` is known by its name.
            let name = size == 1 && !isBool ? btf.name(of: id) : ""
            return .integer(BTFIntegerLayout(
                size: size, isSigned: encoding?.isSigned ?? false, isBool: isBool,
                isChar: name == "char" || (size == 1 && !isBool && encoding?.isChar == true), isSignedChar: name == "signed char"))
        case .enum, .enum64:
            return .enumeration(BTFEnumLayout(type: id, size: size, isSigned: type.kindFlag, enumerators: btf.enumValues(of: id)))
        case .float:
            return .float(size: size)
        case .pointer:
            return .pointer
        case .array:
            guard let array = btf.array(of: id), let stride = btf.size(of: array.elementType) else {
                throw .unsupportedLayout(type: btf.cSpelling(of: id), member: "", problem: "array element has no size")
            }
            return .array(element: try layout(of: array.elementType, depth: depth + 1), count: array.count, stride: stride)
        case .struct, .union:
            return .composite(try compositeLayout(id, size: size, isUnion: type.kind == .union, depth: depth))
        default:
            throw .unsupportedLayout(type: btf.cSpelling(of: id), member: "", problem: "a \(type.kind) has no value")
        }
    }

    private mutating func compositeLayout(_ id: BTFTypeID, size: Int, isUnion: Bool, depth: Int) throws(BTFError) -> BTFCompositeLayout {
        var members: [BTFMemberLayout] = []
        for member in btf.members(of: id) {
            let memberType = btf.resolved(member.type)
            func fail(_ problem: String) -> BTFError {
                .unsupportedLayout(type: btf.cSpelling(of: id), member: member.name.isEmpty ? "(anonymous)" : member.name, problem: problem)
            }
            var width = member.bitfieldSize
            var bitOffset = member.bitOffset
            let kind = btf.kind(of: memberType)
            // Old-style BTF bitfields: an int encoding narrower than its storage.
            if width == 0, kind == .int, let encoding = btf.intEncoding(of: memberType), let storage = btf.size(of: memberType),
                encoding.bits < storage * 8 || encoding.bitOffset != 0
            {
                width = encoding.bits
                bitOffset += encoding.bitOffset
            }
            if width > 0 {
                guard width <= 64 else { throw fail("a \(width)-bit bitfield is wider than 64 bits") }
                guard kind == .int || kind.isEnum else { throw fail("a bitfield of \(btf.cSpelling(of: memberType))") }
                guard (bitOffset + width + 7) / 8 <= size else {
                    throw fail("bitfield at bit \(bitOffset) ends past the \(size)-byte \(btf.cSpelling(of: id))")
                }
            } else {
                guard bitOffset % 8 == 0 else { throw fail("starts at bit \(bitOffset), not on a byte") }
                guard let memberSize = btf.size(of: memberType) else { throw fail("its type \(btf.cSpelling(of: member.type)) has no size") }
                let offset = bitOffset / 8
                guard offset <= size, memberSize <= size - offset else {
                    throw fail("\(memberSize) bytes at offset \(offset) end past the \(size)-byte \(btf.cSpelling(of: id))")
                }
            }
            let value = try layout(of: memberType, depth: depth + 1)
            members.append(BTFMemberLayout(name: member.name, type: member.type, bitOffset: bitOffset, bitfieldWidth: width, value: value))
        }
        return BTFCompositeLayout(type: id, size: size, isUnion: isUnion, members: members)
    }
}
