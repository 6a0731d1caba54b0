// Turns the loads ExternalPointerAnalysis found into text insertions on the
// translation unit: each load `E` is wrapped as
//
//     ({ __typeof__((void)0, (E)) __bcc_val; bpf_probe_read_kernel(&__bcc_val, sizeof(__bcc_val), (void *)&(E')); __bcc_val; })
//
// where E' is E with its own inner loads wrapped the same way, so a chain
// `a->b->c` becomes nested reads. The type is `__typeof__` of the user's
// expression text (never a printed type: clang's spelling of attributes such
// as btf_type_tag does not parse back); the comma drops qualifiers. Only
// text is inserted, never removed, and nothing inserted has a newline, so
// every line keeps its number.

/// The insertions that make a unit's external loads probe reads.
package struct ImplicitReadPlan: Sendable {
    /// Text to insert before the byte at `offset` of the unit.
    package struct Insertion: Equatable, Sendable {
        /// Byte offset in the unit.
        package var offset: Int
        /// What to insert.
        package var text: String
    }

    /// The helpers that read memory of each space.
    package struct ReadHelpers: Sendable {
        /// Reads kernel memory ("bpf_probe_read_kernel", or "bpf_probe_read" on kernels without it).
        package var kernel: String
        /// Reads user memory ("bpf_probe_read_user", or "bpf_probe_read").
        package var user: String

        package init(kernel: String, user: String) {
            self.kernel = kernel
            self.user = user
        }
    }

    /// Insertions in unit order (apply them from the end, or shift later ones).
    package private(set) var insertions: [Insertion] = []
    /// Loads that were not rewritten because their text is not in an editable
    /// range of the unit (macro bodies, the header), with their unit offsets.
    package private(set) var unwritable: [ExternalLoad] = []

    /// Plans the rewrite of `loads` in `unit`; only text inside `editable` ranges is touched.
    /// `isBitfield(record, member)` says whether member `member` of `record`
    /// ("struct task_struct") is a bitfield, whose address C cannot take.
    package init(loads: [ExternalLoad], unit: [UInt8], editable: [Range<Int>], helpers: ReadHelpers,
                 isBitfield: (_ record: String, _ member: String) -> Bool = { _, _ in false }) {
        var wraps: [(range: Range<Int>, load: ExternalLoad)] = []
        for load in loads {
            guard let range = Self.sourceRange(of: load.expression, in: unit),
                  editable.contains(where: { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound }) else {
                unwritable.append(load)
                continue
            }
            wraps.append((range, load))
        }
        // Outer before inner; a range that overlaps another without nesting cannot be wrapped.
        wraps.sort { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound }
        var open: [Range<Int>] = []
        var pending: [(insertion: Insertion, isSuffix: Bool, depth: Int)] = []
        for wrap in wraps {
            while let last = open.last, last.upperBound <= wrap.range.lowerBound { open.removeLast() }
            if let last = open.last, last == wrap.range { continue }
            guard open.last.map({ wrap.range.upperBound <= $0.upperBound }) ?? true,
                  let text = Self.expressionText(unit, wrap.range) else {
                unwritable.append(wrap.load)
                continue
            }
            if let bitfield = Self.bitfieldAccess(wrap.load.expression, unit: unit, isBitfield: isBitfield),
               bitfield.base.lowerBound == wrap.range.lowerBound, bitfield.base.upperBound < wrap.range.upperBound,
               let baseText = Self.expressionText(unit, bitfield.base) {
                let pieces = Self.bitfieldWrapping(text: text, baseText: baseText, member: bitfield.member,
                                                   isArrow: bitfield.isArrow, space: wrap.load.space, helpers: helpers)
                pending.append((Insertion(offset: wrap.range.lowerBound, text: pieces.prefix), false, open.count))
                // After the base (and after its own read closes): the rest of the original text must follow.
                pending.append((Insertion(offset: bitfield.base.upperBound, text: pieces.middle), true, open.count))
                pending.append((Insertion(offset: wrap.range.upperBound, text: pieces.suffix), true, open.count))
                open.append(wrap.range)
                continue
            }
            let (prefix, suffix) = Self.wrapping(text: text, space: wrap.load.space, helpers: helpers)
            pending.append((Insertion(offset: wrap.range.lowerBound, text: prefix), false, open.count))
            pending.append((Insertion(offset: wrap.range.upperBound, text: suffix), true, open.count))
            open.append(wrap.range)
        }
        // At one offset: closing suffixes (inner first) before opening prefixes (outer first).
        insertions = pending.sorted { a, b in
            if a.insertion.offset != b.insertion.offset { return a.insertion.offset < b.insertion.offset }
            if a.isSuffix != b.isSuffix { return a.isSuffix }
            return a.isSuffix ? a.depth > b.depth : a.depth < b.depth
        }.map(\.insertion)
    }

    /// The unit with the insertions applied.
    package func apply(to unit: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(unit.count + insertions.reduce(0) { $0 + $1.text.utf8.count })
        var copied = 0
        for insertion in insertions where insertion.offset <= unit.count {
            result.append(contentsOf: unit[copied..<insertion.offset])
            result.append(contentsOf: insertion.text.utf8)
            copied = insertion.offset
        }
        result.append(contentsOf: unit[copied...])
        return result
    }

    // MARK: - Text

    static func wrapping(text: String, space: AddressSpace, helpers: ReadHelpers) -> (prefix: String, suffix: String) {
        let value = "({ __typeof__((void)0, (\(text))) __bcc_val; "
        switch space {
        case .kernel, .user:
            let helper = space == .kernel ? helpers.kernel : helpers.user
            return (value + "\(helper)(&__bcc_val, sizeof(__bcc_val), (const void *)&(", ")); __bcc_val; })")
        case .unknown where helpers.kernel == helpers.user:
            return (value + "\(helpers.kernel)(&__bcc_val, sizeof(__bcc_val), (const void *)&(", ")); __bcc_val; })")
        case .unknown:
            // A register of a probe that may sit in kernel or user code: kernel first, then user.
            return (value + "const void *__bcc_src = (const void *)&(",
                    "); if (\(helpers.kernel)(&__bcc_val, sizeof(__bcc_val), __bcc_src)) "
                    + "\(helpers.user)(&__bcc_val, sizeof(__bcc_val), __bcc_src); __bcc_val; })")
        }
    }

    // MARK: - Bitfields

    /// For a load of `base->member` or `base.member` where the member is a
    /// bitfield: the base's range, the member and the operator.
    static func bitfieldAccess(_ node: ClangNode, unit: [UInt8], isBitfield: (String, String) -> Bool)
        -> (base: Range<Int>, member: String, isArrow: Bool)?
    {
        guard node.kind == "MemberExpr", let member = node.name, let base = node.expressionChildren.first,
              var record = base.canonicalType else { return nil }
        if node.isArrow {
            guard let star = record.lastIndex(of: "*") else { return nil }
            record = String(record[..<star])
        }
        let words = record.split(separator: " ").filter { !["const", "volatile", "restrict", "__restrict"].contains($0) }
        guard isBitfield(words.joined(separator: " "), member), let range = sourceRange(of: base, in: unit) else { return nil }
        return (range, member, node.isArrow)
    }

    /// A bitfield read as libbpf's BPF_CORE_READ_BITFIELD_PROBED does it
    /// (little-endian): the bytes that hold it read into a u64, shifted up
    /// and back down by the field's CO-RE positions, so no address of the
    /// bitfield is taken. The original text stays in place: the base between
    /// `prefix` and `middle` (its address is what is read from), `->member`
    /// between `middle` and `suffix` (inside an unevaluated sizeof).
    static func bitfieldWrapping(text: String, baseText: String, member: String, isArrow: Bool, space: AddressSpace,
                                 helpers: ReadHelpers) -> (prefix: String, middle: String, suffix: String) {
        let pointer = isArrow ? "(__typeof__(\(baseText)))" : "(__typeof__(\(baseText)) *)"
        func info(_ kind: Int) -> String { "__builtin_preserve_field_info((\(pointer)__bcc_base)->\(member), \(kind))" }
        // enum bpf_field_info_kind: BYTE_OFFSET 0, BYTE_SIZE 1, SIGNED 3, LSHIFT_U64 4, RSHIFT_U64 5.
        let source = "__bcc_base + \(info(0))"
        let read: String
        switch space {
        case .kernel, .user:
            read = "\(space == .kernel ? helpers.kernel : helpers.user)(&__bcc_bits, \(info(1)), \(source)); "
        case .unknown:
            read = "if (\(helpers.kernel)(&__bcc_bits, \(info(1)), \(source))) \(helpers.user)(&__bcc_bits, \(info(1)), \(source)); "
        }
        // clang refuses __typeof__ and sizeof of a bitfield itself, not of `bitfield + 0` (its promoted value).
        let prefix = "({ __typeof__((\(text)) + 0) __bcc_val; const char *__bcc_base = (const char *)\(isArrow ? "" : "&")("
        let middle = "); unsigned long long __bcc_bits = 0; " + read
            + "__bcc_bits <<= \(info(4)); "
            + "__bcc_val = \(info(3)) ? (__typeof__(__bcc_val))(((long long)__bcc_bits) >> \(info(5))) "
            + ": (__typeof__(__bcc_val))(__bcc_bits >> \(info(5))); "
            + "(void)sizeof((\(isArrow ? "(__typeof__(\(baseText)))0" : "*(__typeof__(\(baseText)) *)0"))"
        return (prefix, middle, " + 0); __bcc_val; })")
    }

    /// The expression's tokens on one line (comments and line breaks become
    /// one space), or nil when it spans a preprocessor directive.
    static func expressionText(_ unit: [UInt8], _ range: Range<Int>) -> String? {
        let tokenizer = CTokenizer(String(decoding: unit[range], as: UTF8.self))
        let tokens = tokenizer.tokenize()
        guard !tokens.isEmpty, !tokens.contains(where: { $0.kind == .directive }) else { return nil }
        var text = ""
        var previousEnd = tokens[0].start
        for token in tokens {
            if token.start > previousEnd { text += " " }
            text += tokenizer.text(token)
            previousEnd = token.end
        }
        return text
    }

    // MARK: - Ranges

    /// The unit bytes an expression occupies, when its text can be edited
    /// there: both ends outside macros; both ends in the same macro argument
    /// (edited where the argument is written); or a start outside macros and
    /// an end in an object-like macro (a member alias such as `sk->sk_daddr`).
    static func sourceRange(of node: ClangNode, in unit: [UInt8]) -> Range<Int>? {
        let begin = node.begin, end = node.end
        if !begin.isMacro && !end.isMacro {
            guard let first = begin.spelling, let last = end.spelling else { return nil }
            return checked(first, last.offset + last.tokenLength, unit)
        }
        if begin.isMacro && end.isMacro && begin.isMacroArgument && end.isMacroArgument {
            guard let first = begin.spelling, let last = end.spelling,
                  begin.expansion?.offset == end.expansion?.offset, last.offset >= first.offset else { return nil }
            return checked(first, last.offset + last.tokenLength, unit)
        }
        if !begin.isMacro && end.isMacro && !end.isMacroArgument {
            guard let first = begin.spelling, let use = end.expansion, use.inMainFile,
                  !isFunctionLikeUse(use, unit) else { return nil }
            return checked(first, use.offset + use.tokenLength, unit)
        }
        // Both ends in one macro's own body (`#define PARENT(t) ((t)->real_parent)`): wrapped
        // in the #define, so every expansion reads through a probe read (one that is not
        // external memory reads the same bytes, just as a probe read).
        if begin.isMacro && end.isMacro && !begin.isMacroArgument && !end.isMacroArgument {
            guard let first = begin.spelling, let last = end.spelling, first.inMainFile, last.inMainFile, last.offset >= first.offset,
                  let body = macroBody(containing: first.offset, unit), body.contains(last.offset) else { return nil }
            return checked(first, last.offset + last.tokenLength, unit)
        }
        // A macro expansion that starts the expression (`PARENT(t)->pid`): wrapped where the
        // macro is used, when the expression starts with the macro body's first token.
        if begin.isMacro && !begin.isMacroArgument && !end.isMacro {
            guard let first = begin.spelling, first.inMainFile, let use = begin.expansion, use.inMainFile, let last = end.spelling,
                  let body = macroBody(containing: first.offset, unit), body.lowerBound == first.offset,
                  last.offset > use.offset else { return nil }
            return checked(use, last.offset + last.tokenLength, unit)
        }
        return nil
    }

    /// The body of the `#define` whose text holds `offset`: from its first
    /// token after the name (and parameter list) to the end of its line
    /// (continuation lines included); nil when `offset` is in none.
    static func macroBody(containing offset: Int, _ unit: [UInt8]) -> Range<Int>? {
        guard offset < unit.count else { return nil }
        var start = offset
        // Back to the start of the logical line (a newline not escaped by a backslash).
        while start > 0, !(unit[start - 1] == 0x0A && (start < 2 || unit[start - 2] != UInt8(ascii: "\\"))) { start -= 1 }
        var end = offset
        while end < unit.count, !(unit[end] == 0x0A && (end == 0 || unit[end - 1] != UInt8(ascii: "\\"))) { end += 1 }
        var index = start
        func skipSpaces() { while index < end, unit[index] == 0x20 || unit[index] == 0x09 { index += 1 } }
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
        skipSpaces()
        guard index < end, unit[index] == UInt8(ascii: "#") else { return nil }
        index += 1
        skipSpaces()
        guard unit[index..<min(index + 6, end)].elementsEqual("define".utf8) else { return nil }
        index += 6
        skipSpaces()
        while index < end, isNameByte(unit[index]) { index += 1 }
        if index < end, unit[index] == UInt8(ascii: "(") {
            while index < end, unit[index] != UInt8(ascii: ")") { index += 1 }
            index += 1
        }
        skipSpaces()
        guard index <= offset, offset < end else { return nil }
        return index..<end
    }

    private static func checked(_ first: ClangFilePosition, _ end: Int, _ unit: [UInt8]) -> Range<Int>? {
        guard first.inMainFile, first.offset >= 0, first.offset < end, end <= unit.count else { return nil }
        return first.offset..<end
    }

    /// True when the macro name at `use` is followed by `(` (a function-like macro call).
    private static func isFunctionLikeUse(_ use: ClangFilePosition, _ unit: [UInt8]) -> Bool {
        var index = use.offset + use.tokenLength
        while index < unit.count, unit[index] == 0x20 || unit[index] == 0x09 || unit[index] == 0x0A || unit[index] == 0x0D { index += 1 }
        return index < unit.count && unit[index] == UInt8(ascii: "(")
    }
}
