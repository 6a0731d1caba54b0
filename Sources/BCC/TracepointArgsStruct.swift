/// The C struct bcc gives TRACEPOINT_PROBE's `args`, built from the
/// tracepoint's tracefs format file (its fields, offsets and sizes).
struct TracepointArgsStruct: Sendable, Equatable {
    /// One `field:` line of a format file.
    struct Field: Sendable, Equatable {
        /// The declaration as written, e.g. "const char * filename" or "char comm[16]".
        var declaration: String
        var offset: Int
        var size: Int
        var isSigned: Bool
    }

    /// "category:name", for messages.
    var tracepoint: String
    /// The fields in offset order.
    var fields: [Field]

    /// Parses a format file's text.
    init(tracepoint: String, format: String) throws {
        self.tracepoint = tracepoint
        var fields: [Field] = []
        for line in format.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("field:") else { continue }
            var declaration: String?, offset: Int?, size: Int?, signed = false
            for part in trimmed.split(separator: ";") {
                let item = part.drop { $0 == " " || $0 == "\t" }
                if let value = item.dropPrefixSubstring("field:") { declaration = String(value) }
                if let value = item.dropPrefixSubstring("offset:") { offset = Int(value) }
                if let value = item.dropPrefixSubstring("size:") { size = Int(value) }
                if let value = item.dropPrefixSubstring("signed:") { signed = value == "1" }
            }
            guard let declaration, let offset, let size, offset >= 0, size >= 0 else {
                throw BCCError.tracepointFormat(tracepoint: tracepoint, detail: "cannot read format line '\(trimmed)'")
            }
            fields.append(Field(declaration: declaration, offset: offset, size: size, isSigned: signed))
        }
        guard !fields.isEmpty else {
            throw BCCError.tracepointFormat(tracepoint: tracepoint, detail: "format has no fields")
        }
        self.fields = fields.sorted { $0.offset < $1.offset }
    }

    /// `struct NAME { ... };` with padding where the format has gaps.
    func cDefinition(structName: String) -> String {
        var members: [String] = []
        var position = 0
        for (index, field) in fields.enumerated() {
            guard field.offset >= position else { continue } // overlapping field: keep the first
            if field.offset > position {
                members.append("char __pad\(index)[\(field.offset - position)];")
            }
            members.append(member(field) + ";")
            position = field.offset + field.size
        }
        return "struct \(structName) { \(members.joined(separator: " ")) };"
    }

    /// A C member for a field, typed so that its natural size and alignment match the format.
    private func member(_ field: Field) -> String {
        var declaration = field.declaration.trimming(" \t")
        let isDataLocation = declaration.hasPrefix("__data_loc ")
        var arrayLength: Int?
        if let open = declaration.firstIndex(of: "["), declaration.hasSuffix("]") {
            arrayLength = Int(declaration[declaration.index(after: open)..<declaration.index(before: declaration.endIndex)])
            declaration = String(declaration[..<open]).trimming(" ")
        }
        let name = declaration.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).last.map(String.init) ?? "field"
        let type = String(declaration.dropLast(name.count)).trimming(" ")
        if isDataLocation {
            return "u32 __data_loc_\(name)"
        }
        if type.contains("*") {
            return "\(Self.pointerType(type)) \(name)"
        }
        if let arrayLength, arrayLength > 0 {
            let elementSize = field.size / arrayLength
            let element = type.contains("char") && elementSize == 1 ? "char" : integerType(size: elementSize, signed: field.isSigned)
            return "\(element) \(name)[\(arrayLength)]"
        }
        if [1, 2, 4, 8].contains(field.size) {
            return "\(integerType(size: field.size, signed: field.isSigned)) \(name)"
        }
        return "u8 \(name)[\(field.size)]"
    }

    private func integerType(size: Int, signed: Bool) -> String {
        switch size {
        case 1: return signed ? "s8" : "u8"
        case 2: return signed ? "s16" : "u16"
        case 4: return signed ? "s32" : "u32"
        default: return signed ? "s64" : "u64"
        }
    }

    /// Keeps a pointer type made of C keywords and struct tags; anything else becomes `void *`.
    private static func pointerType(_ type: String) -> String {
        let keywords: Set<String> = ["const", "volatile", "char", "void", "unsigned", "signed", "int", "long", "short", "struct", "__user"]
        let words = type.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
        for (index, word) in words.enumerated() where !keywords.contains(word) {
            guard index > 0, words[index - 1] == "struct" else { return "void *" }
        }
        return type
    }
}

extension Substring {
    /// The rest after `prefix`, or nil.
    func dropPrefixSubstring(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
