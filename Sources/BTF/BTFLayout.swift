/// Decode-time validation of type references and the layout pass that
/// computes every type's size and alignment once.
struct Layout {
    let records: [BTFRawType]
    let words: [UInt32]
    let firstID: UInt32
    let typeCount: UInt32
    let stringLimit: UInt64
    let base: BTF?
    private(set) var sizes: [UInt64] = []
    private(set) var alignments: [UInt8] = []

    /// Sizes beyond this (in bytes) are rejected so bit arithmetic in `Int`
    /// cannot overflow.
    static let maximumSize: UInt64 = 1 << 56

    init(records: [BTFRawType], words: [UInt32], firstID: UInt32, typeCount: UInt32, stringLimit: UInt64, base: BTF?) {
        self.records = records
        self.words = words
        self.firstID = firstID
        self.typeCount = typeCount
        self.stringLimit = stringLimit
        self.base = base
    }

    @inline(__always) private func payload(_ record: BTFRawType, _ n: Int) -> UInt32 { words[record.wordIndex + 3 + n] }

    private func kindOf(_ id: UInt32) -> BTFKind {
        if id == 0 { return .void }
        if id >= firstID { return records[Int(id - firstID)].kind }
        return base?.kind(id) ?? .void
    }

    // MARK: - References

    /// Checks every name offset and type ID, and the per-kind rules the
    /// queries depend on.
    func validateReferences() throws(BTFError) {
        for (index, record) in records.enumerated() {
            let id = firstID + UInt32(index)
            func fail(_ problem: String) -> BTFError { .badType(id: id, offset: record.byteOffset, problem: problem) }
            // `what` is only built for the error: interpolating it for every
            // member of a kernel's BTF would dominate decoding.
            func checkName(_ offset: UInt32, _ what: @autoclosure () -> String) throws(BTFError) {
                guard UInt64(offset) < stringLimit else {
                    throw fail("\(what()) offset \(offset) is beyond the string section (\(stringLimit) bytes)")
                }
            }
            func checkType(_ target: UInt32, _ what: @autoclosure () -> String) throws(BTFError) {
                guard target < typeCount else { throw fail("\(what()) refers to type [\(target)], but only \(typeCount) types exist") }
            }
            try checkName(record.nameOffset, "name")
            let kind = record.kind, vlen = record.vlen
            switch kind {
            case .int:
                guard record.sizeOrType.nonzeroBitCount == 1, record.sizeOrType <= 16 else { throw fail("INT size \(record.sizeOrType) is not 1, 2, 4, 8 or 16") }
                let encoding = payload(record, 0)
                let bits = encoding & 0xff, offset = (encoding >> 16) & 0xff
                guard bits > 0, bits + offset <= record.sizeOrType * 8 else {
                    throw fail("INT of \(record.sizeOrType) bytes has \(bits) bits at bit offset \(offset)")
                }
            case .float:
                guard record.sizeOrType == 12 || (record.sizeOrType.nonzeroBitCount == 1 && 2...16 ~= record.sizeOrType) else { throw fail("FLOAT size \(record.sizeOrType) is invalid") }
            case .enum, .enum64:
                guard record.sizeOrType.nonzeroBitCount == 1, record.sizeOrType <= 8 else { throw fail("\(kind) size \(record.sizeOrType) is not 1, 2, 4 or 8") }
                let stride = kind == .enum ? 2 : 3
                for entry in 0..<vlen { try checkName(payload(record, entry * stride), "enumerator \(entry) name") }
            case .pointer, .typedef, .volatile, .const, .restrict, .typeTag:
                try checkType(record.sizeOrType, "\(kind)")
            case .array:
                try checkType(payload(record, 0), "ARRAY element")
                try checkType(payload(record, 1), "ARRAY index")
            case .struct, .union:
                for member in 0..<vlen {
                    try checkName(payload(record, member * 3), "member \(member) name")
                    try checkType(payload(record, member * 3 + 1), "member \(member)")
                }
            case .forward:
                break
            case .function:
                try checkType(record.sizeOrType, "FUNC")
                guard kindOf(record.sizeOrType) == .functionPrototype else {
                    throw fail("FUNC refers to [\(record.sizeOrType)], which is not a FUNC_PROTO")
                }
                guard vlen <= 2 else { throw fail("FUNC linkage \(vlen) is not static, global or extern") }
            case .functionPrototype:
                try checkType(record.sizeOrType, "FUNC_PROTO return type")
                for parameter in 0..<vlen {
                    try checkName(payload(record, parameter * 2), "parameter \(parameter) name")
                    try checkType(payload(record, parameter * 2 + 1), "parameter \(parameter)")
                }
            case .variable:
                try checkType(record.sizeOrType, "VAR")
                guard payload(record, 0) <= 2 else { throw fail("VAR linkage \(payload(record, 0)) is invalid") }
            case .dataSection:
                for entry in 0..<vlen { try checkType(payload(record, entry * 3), "DATASEC entry \(entry)") }
            case .declarationTag:
                try checkType(record.sizeOrType, "DECL_TAG")
            case .void:
                throw fail("kind 0 in a record")
            }
            switch kind {
            case .typedef, .function, .variable, .declarationTag, .typeTag:
                if record.nameOffset == 0 { throw fail("\(kind) has no name") }
            default:
                break
            }
        }
    }

    // MARK: - Sizes and alignments

    private func size(of id: UInt32) -> UInt64 {
        if id == 0 { return BTFStorage.unsized }
        if id >= firstID { return sizes[Int(id - firstID)] }
        return base.map { $0.resolvedSize($0.locate(id)) } ?? BTFStorage.unsized
    }

    private func alignment(of id: UInt32) -> UInt8 {
        if id == 0 { return 0 }
        if id >= firstID { return alignments[Int(id - firstID)] }
        return base.map { $0.storedAlignment($0.locate(id)) } ?? 0
    }

    /// Fills `sizes` and `alignments` in dependency order (a depth-first
    /// walk over the "contains" edges), rejecting types that contain
    /// themselves.
    mutating func computeLayouts() throws(BTFError) {
        sizes = [UInt64](repeating: BTFStorage.unsized, count: records.count)
        alignments = [UInt8](repeating: 0, count: records.count)
        for (index, record) in records.enumerated() {
            switch record.kind {
            case .int, .enum, .enum64, .float:
                sizes[index] = UInt64(record.sizeOrType)
                alignments[index] = UInt8(min(8, record.sizeOrType))
            case .pointer:
                sizes[index] = 8
                alignments[index] = 8
            case .struct, .union, .dataSection:
                sizes[index] = UInt64(record.sizeOrType)
            default:
                break
            }
        }
        let edges = Edges(records: records, words: words)
        try depthFirst(
            count: records.count, firstID: firstID,
            successor: { index, n in edges.containment(index, n) },
            finish: { (layout: inout Layout, index: Int) throws(BTFError) in try layout.finishLayout(index) },
            cycle: { id in .typeCycle(id: id, problem: "contains itself (a struct, array or typedef that embeds itself)") })
    }

    private mutating func finishLayout(_ index: Int) throws(BTFError) {
        let record = records[index]
        switch record.kind {
        case .typedef, .volatile, .const, .restrict, .typeTag, .variable:
            sizes[index] = size(of: record.sizeOrType)
            alignments[index] = alignment(of: record.sizeOrType)
        case .array:
            let element = payload(record, 0)
            let elementSize = size(of: element)
            if elementSize != BTFStorage.unsized {
                let (total, overflow) = elementSize.multipliedReportingOverflow(by: UInt64(payload(record, 2)))
                guard !overflow, total <= Layout.maximumSize else {
                    throw .badType(
                        id: firstID + UInt32(index), offset: record.byteOffset,
                        problem: "array of \(payload(record, 2)) elements of \(elementSize) bytes is too large")
                }
                sizes[index] = total
            }
            alignments[index] = alignment(of: element)
        case .struct, .union:
            // libbpf's btf__align_of: the largest member alignment, or 1 when a
            // member is misaligned or the size is not a multiple of it (packed).
            var maximum: UInt8 = 1
            for member in 0..<record.vlen {
                let align = alignment(of: payload(record, member * 3 + 1))
                guard align > 0 else { continue }
                maximum = max(maximum, align)
                let offsetWord = payload(record, member * 3 + 2)
                let bitfieldSize = record.kindFlag ? offsetWord >> 24 : 0
                let bitOffset = record.kindFlag ? offsetWord & 0xff_ffff : offsetWord
                if bitfieldSize == 0, bitOffset % (8 * UInt32(align)) != 0 {
                    maximum = 0
                    break
                }
            }
            alignments[index] = maximum == 0 || record.sizeOrType % UInt32(maximum) != 0 ? 1 : maximum
        default:
            break
        }
    }

    // MARK: - Declarators

    /// Rejects loops that do not pass through a named struct or union (a
    /// pointer or typedef to itself, an anonymous struct reaching itself)
    /// and declarators nested deeper than `BTFDecoder.maximumNesting`: the
    /// C spelling and the header emitter recurse along these edges.
    mutating func checkDeclaratorGraph(bytes: [UInt8], header: BTFHeader, stringBase: UInt32) throws(BTFError) {
        let records = self.records
        let base = self.base
        func isNamed(_ record: BTFRawType) -> Bool {
            let offset = record.nameOffset
            if offset == 0 { return false }
            if offset < stringBase { return base?.stringIsEmpty(at: offset) == false }
            return bytes[header.stringSectionOffset + Int(offset - stringBase)] != 0
        }
        var depths = [UInt16](repeating: 0, count: records.count)
        let edges = Edges(records: records, words: words)
        try depthFirst(
            count: records.count, firstID: firstID,
            successor: { index, n in edges.declarator(index, n, named: isNamed(records[index])) },
            finish: { (layout: inout Layout, index: Int) throws(BTFError) in
                let record = records[index]
                var deepest: UInt16 = 0
                var n = 0
                while let next = edges.declarator(index, n, named: isNamed(record)) {
                    if next >= layout.firstID { deepest = max(deepest, depths[Int(next - layout.firstID)]) }
                    n += 1
                }
                guard deepest < BTFDecoder.maximumNesting else {
                    throw .nestingTooDeep(id: layout.firstID + UInt32(index), limit: BTFDecoder.maximumNesting)
                }
                depths[index] = deepest + 1
            },
            cycle: { id in .typeCycle(id: id, problem: "refers to itself without a named struct or union in between") })
    }

    // MARK: - Walk

    /// An iterative depth-first walk over this blob's own types (edges into
    /// the base are already validated): `successor(index, n)` gives the n-th
    /// edge's target ID or nil, `finish` runs once all of a type's targets
    /// have finished, and reaching a type still on the stack is `cycle`.
    private mutating func depthFirst(
        count: Int, firstID: UInt32, successor: (Int, Int) -> UInt32?,
        finish: (inout Layout, Int) throws(BTFError) -> Void, cycle: (UInt32) -> BTFError
    ) throws(BTFError) {
        var state = [UInt8](repeating: 0, count: count)  // 0 new, 1 on stack, 2 done
        var stack: [(index: Int, next: Int)] = []
        for root in 0..<count where state[root] == 0 {
            state[root] = 1
            stack.append((root, 0))
            while let top = stack.last {
                if let target = successor(top.index, top.next) {
                    stack[stack.count - 1].next += 1
                    guard target >= firstID else { continue }
                    let index = Int(target - firstID)
                    switch state[index] {
                    case 0:
                        state[index] = 1
                        stack.append((index, 0))
                    case 1:
                        throw cycle(target)
                    default:
                        break
                    }
                } else {
                    try finish(&self, top.index)
                    state[top.index] = 2
                    stack.removeLast()
                }
            }
        }
    }
}

/// The edges the decode-time walks follow, kept apart from `Layout` so the
/// walk can mutate the layout while reading them.
private struct Edges {
    let records: [BTFRawType]
    let words: [UInt32]

    @inline(__always) private func payload(_ record: BTFRawType, _ n: Int) -> UInt32 { words[record.wordIndex + 3 + n] }

    /// "Needs the layout of": typedef and qualifier targets, array
    /// elements, members, data section variables.
    func containment(_ index: Int, _ n: Int) -> UInt32? {
        let record = records[index]
        switch record.kind {
        case .typedef, .volatile, .const, .restrict, .typeTag, .variable:
            return n == 0 ? record.sizeOrType : nil
        case .array:
            return n == 0 ? payload(record, 0) : nil
        case .struct, .union:
            return n < record.vlen ? payload(record, n * 3 + 1) : nil
        case .dataSection:
            return n < record.vlen ? payload(record, n * 3) : nil
        default:
            return nil
        }
    }

    /// "Is spelled through": what printing a declarator recurses into.
    /// Named structs and unions stop the walk (they are printed by name).
    func declarator(_ index: Int, _ n: Int, named: Bool) -> UInt32? {
        let record = records[index]
        switch record.kind {
        case .pointer, .typedef, .volatile, .const, .restrict, .typeTag, .function, .variable:
            return n == 0 ? record.sizeOrType : nil
        case .array:
            return n == 0 ? payload(record, 0) : nil
        case .functionPrototype:
            if n == 0 { return record.sizeOrType }
            return n <= record.vlen ? payload(record, (n - 1) * 2 + 1) : nil
        case .struct, .union:
            return n < record.vlen && !named ? payload(record, n * 3 + 1) : nil
        default:
            return nil
        }
    }
}
