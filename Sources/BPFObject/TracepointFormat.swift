/// The record layout of a tracepoint, as its tracefs format file describes it.
///
/// A tracepoint BPF program receives a pointer to this record. The first
/// fields (common_type, common_flags, common_preempt_count, common_pid) are
/// the same for every event; `eventFields` are the ones after them.
public struct TracepointFormat: Sendable, Equatable {
    /// The event's name, e.g. "sched_process_exec".
    public var name: String
    /// The event id (perf_event_attr.config for PERF_TYPE_TRACEPOINT).
    public var id: UInt64
    /// Every field in record order, common ones included.
    public var fields: [TracepointField]

    /// The fields specific to this event (those not named common_*).
    public var eventFields: [TracepointField] { fields.filter { !$0.isCommon } }

    /// Parses the content of an events/CATEGORY/NAME/format file; `path`
    /// names it in errors.
    ///
    /// - Throws: `BPFObjectError.malformed` naming the file and line when a line
    ///   cannot be read.
    public init(parsing text: String, path: String = "format") throws(BPFObjectError) {
        var name: String?
        var id: UInt64?
        var fields: [TracepointField] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            let location = "\(path):\(index + 1)"
            if line.hasPrefix("name:") {
                name = String(line.dropFirst("name:".count)).trimmingWhitespace()
            } else if line.hasPrefix("ID:") {
                guard let value = UInt64(line.dropFirst("ID:".count).trimmingWhitespace()) else {
                    throw BPFObjectError.malformed(what: location, detail: "expected 'ID: <number>', found '\(line)'")
                }
                id = value
            } else if line.hasPrefix("field:") {
                fields.append(try TracepointField(formatLine: line, location: location))
            } else if line.hasPrefix("print fmt:") {
                break
            }
        }
        guard let name, !name.isEmpty else { throw BPFObjectError.malformed(what: path, detail: "no 'name:' line") }
        guard let id else { throw BPFObjectError.malformed(what: path, detail: "no 'ID:' line") }
        self.name = name
        self.id = id
        self.fields = fields
    }
}

/// One field of a tracepoint record.
public struct TracepointField: Sendable, Equatable {
    /// How a variable-length field locates its data.
    public enum DynamicArray: String, Sendable, Equatable {
        /// `__data_loc`: a 32-bit value, offset from the record start in the
        /// low 16 bits and length in the high 16 bits.
        case dataLocation = "__data_loc"
        /// `__rel_loc`: like `__data_loc`, but the offset counts from the end of this field.
        case relativeLocation = "__rel_loc"
    }

    /// The field's name, e.g. "filename".
    public var name: String
    /// The C type without the name or array dimension: "unsigned short",
    /// "const char *", "char" for `char comm[16]`, and the element type of a
    /// dynamic array ("char" for `__data_loc char[] filename`).
    public var type: String
    /// The array dimension as written ("16" in `char comm[16]`, empty for a
    /// dynamic array); nil when the field is not an array.
    public var arrayDimension: String?
    /// Set for variable-length fields; the record then holds a 32-bit locator of `size` bytes.
    public var dynamicArray: DynamicArray?
    /// Byte offset in the record.
    public var offset: Int
    /// Size in bytes.
    public var size: Int
    /// Whether the kernel reports the type as signed.
    public var isSigned: Bool
    /// The declaration exactly as in the format file, e.g. "char comm[16]".
    public var declaration: String

    /// The number of elements of a fixed-size array field, when it is written as a number.
    public var arrayLength: Int? { arrayDimension.flatMap { Int($0) } }

    /// True for the fields every event starts with (common_type, common_pid, ...).
    public var isCommon: Bool { name.hasPrefix("common_") }

    /// Memberwise initializer.
    public init(
        name: String, type: String, arrayDimension: String? = nil, dynamicArray: DynamicArray? = nil,
        offset: Int, size: Int, isSigned: Bool, declaration: String
    ) {
        self.name = name
        self.type = type
        self.arrayDimension = arrayDimension
        self.dynamicArray = dynamicArray
        self.offset = offset
        self.size = size
        self.isSigned = isSigned
        self.declaration = declaration
    }

    /// Parses "field:char comm[16];\toffset:8;\tsize:16;\tsigned:0;".
    init(formatLine line: String, location: String) throws(BPFObjectError) {
        var declaration: String?
        var offset: Int?
        var size: Int?
        var isSigned = false
        for part in line.split(separator: ";") {
            let item = part.trimmingWhitespace()
            guard !item.isEmpty else { continue }
            guard let colon = item.firstIndex(of: ":") else {
                throw BPFObjectError.malformed(what: location, detail: "expected 'key:value', found '\(item)'")
            }
            let key = item[..<colon]
            let value = item[item.index(after: colon)...].trimmingWhitespace()
            switch key {
            case "field": declaration = value
            case "offset": offset = Int(value)
            case "size": size = Int(value)
            case "signed": isSigned = value == "1"
            default: continue  // Keys a newer kernel may add.
            }
        }
        guard let declaration, !declaration.isEmpty else {
            throw BPFObjectError.malformed(what: location, detail: "field line has no declaration: '\(line)'")
        }
        guard let offset, let size, offset >= 0, size >= 0 else {
            throw BPFObjectError.malformed(what: location, detail: "field '\(declaration)' lacks a valid offset or size")
        }

        var rest = Substring(declaration)
        var arrayDimension: String?
        if rest.hasSuffix("]"), let open = rest.lastIndex(of: "[") {
            arrayDimension = String(rest[rest.index(after: open)..<rest.index(before: rest.endIndex)])
            rest = rest[..<open]
        }
        let nameStart = rest.lastIndex { !($0.isLetter || $0.isNumber || $0 == "_") }.map(rest.index(after:))
            ?? rest.startIndex
        let name = String(rest[nameStart...])
        var type = rest[..<nameStart].trimmingWhitespace()
        guard !name.isEmpty, !type.isEmpty else {
            throw BPFObjectError.malformed(what: location, detail: "cannot split '\(declaration)' into a type and a name")
        }
        var dynamicArray: DynamicArray?
        for kind in [DynamicArray.dataLocation, .relativeLocation] where type.hasPrefix(kind.rawValue + " ") {
            dynamicArray = kind
            type = String(type.dropFirst(kind.rawValue.count)).trimmingWhitespace()
            if type.hasSuffix("[]") {
                type = String(type.dropLast(2)).trimmingWhitespace()
                arrayDimension = ""
            }
        }
        self.init(
            name: name, type: type, arrayDimension: arrayDimension, dynamicArray: dynamicArray,
            offset: offset, size: size, isSigned: isSigned, declaration: declaration)
    }
}
