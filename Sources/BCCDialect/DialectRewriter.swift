// bcc's C dialect -> plain C for `clang -target bpf`.
//
// Works on tokens, never on raw text: table macros become libbpf-style BTF
// map definitions, `table.method(args)` calls become helper calls on
// `&table`, probe macros become sectioned functions, kernel header includes
// are dropped (the BTF header has the types). Every replacement keeps the
// number of newlines it replaces, so line numbers never move and the
// source map takes columns back to the user's text.

/// The result of rewriting one bcc program.
package struct RewriteResult: Sendable {
    /// The user's original bytes.
    package var original: [UInt8]
    /// The rewritten program body (same line count as the original).
    package var body: RewrittenSource
    /// Tables in declaration order.
    package var tables: [TableDefinition]
    /// Functions that become BPF programs, in definition order.
    package var functions: [ProbeFunction]
    /// The C type (e.g. "struct data_t") of the records sent through each output table.
    package var eventTypes: [String: String]
    /// Tracepoints whose `args` structs the program needs: "category:name".
    package var tracepoints: [String]
    /// The names the program declares itself (ProgramNames).
    package var programNames: Set<String> = []
    /// The types the program defines: "struct T", "union T", "enum T" (with a body) and typedef names.
    package var definedTypes: Set<String> = []
    /// libbpf Kconfig externs the program declares (`extern int CONFIG_HZ __kconfig;`), whose values the prelude gives.
    package var kconfigNames: Set<String> = []
}

/// Rewrites bcc's C dialect into plain C.
package struct DialectRewriter {
    /// The name diagnostics use for the file.
    package var fileName: String
    /// The running kernel's page size (ring buffer sizes are in pages).
    package var pageSize: Int
    /// The number of possible CPUs (perf output tables have one slot each).
    package var possibleCPUs: Int
    /// Functions enabled on USDT probes, by name: what bpf_usdt_readarg in them reads.
    package var usdtFunctions: [String: USDTFunction] = [:]
    /// Tables other programs of the process export (BPF_TABLE_PUBLIC and
    /// _SHARED), by name, for this program's BPF_TABLE("extern", ...).
    package var exportedTables: [String: TableDefinition] = [:]

    /// A rewriter for `fileName` on a kernel with this page size and CPU count.
    package init(fileName: String, pageSize: Int, possibleCPUs: Int) {
        self.fileName = fileName
        self.pageSize = pageSize
        self.possibleCPUs = possibleCPUs
    }

    /// Rewrites `source`; throws `DialectError.compileFailed` naming the user's lines.
    package func rewrite(_ source: String) throws(DialectError) -> RewriteResult {
        try SourceText.check(Array(source.utf8), fileName: fileName)
        var pass = RewritePass(source: source, options: self)
        try pass.run()
        return pass.result
    }
}

/// One rewrite of one source: the state of the walk over its tokens.
struct RewritePass {
    let options: DialectRewriter
    let tokenizer: CTokenizer
    let tokens: [CToken]
    let lines: LineIndex
    var output = RewrittenSource()
    var tables: [String: TableDefinition] = [:]
    /// Every table declaration in order; a name repeats only in #if/#else branches.
    var tableDefinitions: [TableDefinition] = []
    /// How many #if/#ifdef/#ifndef blocks enclose the current token.
    var conditionalDepth = 0
    /// Tables declared inside an #if block (another declaration of the name may be its #else).
    var conditionalTables: Set<String> = []
    /// True once the program includes <bcc/proto.h> (DialectRewriter+Packets).
    var packetHeadersIncluded = false
    /// The names of libbpf's Kconfig externs the program declares (DialectRewriter+Kconfig).
    var kconfigNames: Set<String> = []
    /// The program's own packet headers (BPF_PACKET_HEADER), by tag.
    var userPacketHeaders: [String: PacketHeader] = [:]
    /// The current function's packet header pointers, by variable name.
    var packetPointers: [String: PacketHeader] = [:]
    /// The current function's first parameter: the context packet accesses go through.
    var contextParameter: String?
    var functions: [ProbeFunction] = []
    var eventTypes: [String: String] = [:]
    var tracepoints: [String] = []
    var diagnostics: [CompileDiagnostic] = []
    /// Struct tags and typedef names the user's source defines (event types must be one of these).
    var userTypeNames: Set<String> = []

    init(source: String, options: DialectRewriter) {
        self.options = options
        tokenizer = CTokenizer(source)
        tokens = tokenizer.tokenize()
        lines = LineIndex(tokenizer.bytes)
    }

    var result: RewriteResult {
        RewriteResult(
            original: tokenizer.bytes, body: output, tables: tableDefinitions,
            functions: functions, eventTypes: eventTypes, tracepoints: tracepoints,
            programNames: ProgramNames.declared(in: tokens, of: tokenizer).union(kconfigNames), definedTypes: userTypeNames,
            kconfigNames: kconfigNames)
    }

    // MARK: - Top level

    mutating func run() throws(DialectError) {
        collectUserTypeNames()
        collectTracepointStructReferences()
        collectUserPacketHeaders()
        var index = 0
        var copiedUpTo = 0
        var braceDepth = 0
        var parenDepth = 0
        var declarationStart = 0
        var lastEditEnd = 0
        while index < tokens.count {
            let token = tokens[index]
            // Copy what lies between the previous edit and this token.
            if token.kind == .directive {
                conditionalDepth += PreprocessorConditional.depthChange(of: tokenizer.text(token))
                if isKernelInclude(token) {
                    flush(upTo: token.start, from: &copiedUpTo)
                    let replacement = BCCLibrary.replacement(forInclude: tokenizer.text(token))
                    if !replacement.isEmpty { packetHeadersIncluded = true }
                    output.appendGenerated(replacement + newlines(in: token), anchor: token.start)
                    copiedUpTo = token.end
                }
                index += 1
                declarationStart = index
                continue
            }
            if token.kind == .identifier {
                // A declaration never reaches back into text an earlier edit already replaced.
                let start = max(declarationStart, lastEditEnd)
                if let edit = rewriteAt(index, braceDepth: braceDepth, parenDepth: parenDepth, declarationStart: start) {
                    flush(upTo: edit.replacedStart, from: &copiedUpTo)
                    // A statement rewritten to `({ ... })` or `((T *)...)` would continue the line
                    // before it when that line lacks its ';' (`u32 key = 1 ({ ...` parses as a
                    // call): clang would say "expected expression" on this line. Begun with an
                    // identifier, clang says "expected ';'" at the end of the line before, as it
                    // does for the user's own text. __builtin_choose_expr(1, e, 0) is e itself.
                    let guarded = braceDepth > 0 && startsLine(edit.replacedStart) && edit.startsWithParenthesis
                    if guarded { output.appendGenerated("__builtin_choose_expr(1, ", anchor: edit.replacedStart) }
                    apply(edit)
                    if guarded { output.appendGenerated(", 0)", anchor: max(edit.replacedStart, edit.replacedEnd - 1)) }
                    copiedUpTo = edit.replacedEnd
                    // Consumed tokens still open and close blocks (a function header ends with its '{').
                    for consumed in tokens[index..<edit.nextToken] where consumed.kind == .punctuator {
                        if tokenizer.matches(consumed, "{") { braceDepth += 1 }
                        if tokenizer.matches(consumed, "}") { braceDepth -= 1 }
                    }
                    index = edit.nextToken
                    lastEditEnd = index
                    continue
                }
            }
            if token.kind == .punctuator {
                switch tokenizer.text(token) {
                case "{": braceDepth += 1
                case "}":
                    braceDepth -= 1
                    if braceDepth == 0 && parenDepth == 0 { declarationStart = index + 1 }
                case "(": parenDepth += 1
                case ")": parenDepth -= 1
                case ";":
                    if braceDepth == 0 && parenDepth == 0 { declarationStart = index + 1 }
                default: break
                }
            }
            index += 1
        }
        flush(upTo: tokenizer.bytes.count, from: &copiedUpTo)
        reportMapCallsInMacros()
        if !diagnostics.isEmpty {
            throw DialectError.compileFailed(file: options.fileName, diagnostics: diagnostics)
        }
    }

    /// A replacement of tokens: the original byte range it covers and what replaces it.
    struct Edit {
        var replacedStart: Int
        var replacedEnd: Int
        var pieces: [Piece]
        var nextToken: Int

        /// True when the replacement begins with generated text that opens a parenthesis.
        var startsWithParenthesis: Bool {
            guard case let .text(text, _)? = pieces.first else { return false }
            return text.hasPrefix("(")
        }
    }

    /// True when the user's text from the start of its line to `offset` is blank.
    func startsLine(_ offset: Int) -> Bool {
        var at = offset
        while at > 0 {
            at -= 1
            switch tokenizer.bytes[at] {
            case 0x0A: return true
            case 0x20, 0x09, 0x0D, 0x0B, 0x0C: continue
            default: return false
            }
        }
        return true
    }

    /// Part of a replacement: generated text or a rewritten copy of original tokens.
    enum Piece {
        case text(String, anchor: Int)
        case tokens(Range<Int>)
        case verbatimBytes(Range<Int>)
    }

    /// Emits an edit's pieces, then any newlines of the replaced text the
    /// pieces did not carry, so the following lines keep their numbers.
    mutating func apply(_ edit: Edit) {
        let before = output.bytes.count
        for piece in edit.pieces { append(piece) }
        let emitted = output.bytes[before...].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let replaced = tokenizer.bytes[edit.replacedStart..<edit.replacedEnd].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        if replaced > emitted {
            output.appendGenerated(String(repeating: "\n", count: replaced - emitted), anchor: edit.replacedEnd)
        }
    }

    mutating func append(_ piece: Piece) {
        switch piece {
        case let .text(text, anchor):
            output.appendGenerated(text, anchor: anchor)
        case let .verbatimBytes(range):
            output.appendVerbatim(tokenizer.bytes, range)
        case let .tokens(range):
            appendRewritten(tokenRange: range)
        }
    }

    mutating func flush(upTo end: Int, from copiedUpTo: inout Int) {
        if end > copiedUpTo { output.appendVerbatim(tokenizer.bytes, copiedUpTo..<end) }
        copiedUpTo = max(copiedUpTo, end)
    }

    /// Copies a range of tokens (with the text between them, and up to the
    /// next token so trailing comments stay) rewriting map calls inside it.
    mutating func appendRewritten(tokenRange: Range<Int>) {
        guard !tokenRange.isEmpty else { return }
        let end = tokenRange.upperBound < tokens.count ? tokens[tokenRange.upperBound].start : tokens[tokenRange.upperBound - 1].end
        var copiedUpTo = tokens[tokenRange.lowerBound].start
        var index = tokenRange.lowerBound
        while index < tokenRange.upperBound {
            if tokens[index].kind == .identifier,
               let edit = mapMethodCall(at: index, limit: tokenRange.upperBound) ?? packetAccess(at: index, limit: tokenRange.upperBound) {
                flush(upTo: edit.replacedStart, from: &copiedUpTo)
                apply(edit)
                copiedUpTo = edit.replacedEnd
                index = edit.nextToken
                continue
            }
            index += 1
        }
        flush(upTo: end, from: &copiedUpTo)
    }

    // MARK: - What to rewrite at an identifier

    mutating func rewriteAt(_ index: Int, braceDepth: Int, parenDepth: Int, declarationStart: Int) -> Edit? {
        let name = tokenizer.text(tokens[index])
        if braceDepth == 0 && parenDepth == 0 {
            if name.hasPrefix("BPF_"), let edit = tableMacro(at: index, macro: name) { return edit }
            if name == "extern", let edit = kconfigExtern(at: index) { return edit }
            switch name {
            case "TRACEPOINT_PROBE": return probeMacro(at: index, kind: .tracepoint)
            case "RAW_TRACEPOINT_PROBE": return probeMacro(at: index, kind: .rawTracepoint)
            case "KFUNC_PROBE": return probeMacro(at: index, kind: .fentry)
            case "KRETFUNC_PROBE": return probeMacro(at: index, kind: .fexit)
            case "LSM_PROBE": return probeMacro(at: index, kind: .lsm)
            case "KMOD_RET": return probeMacro(at: index, kind: .modifyReturn)
            case "MODULE_KFUNC_PROBE": return probeMacro(at: index, kind: .moduleFentry)
            case "MODULE_KRETFUNC_PROBE": return probeMacro(at: index, kind: .moduleFexit)
            case "BPF_PROG": return probeMacro(at: index, kind: .program)
            case "BPF_ITER": return probeMacro(at: index, kind: .iterator)
            default: break
            }
            if let edit = functionDefinition(at: index, declarationStart: declarationStart) { return edit }
        }
        if braceDepth > 0 {
            if name == "bpf_usdt_readarg" || name == "bpf_usdt_readarg_p" { return usdtReadargCall(at: index) }
            if name == "bpf_num_cpus" { return numberOfCPUsCall(at: index) }
            return mapMethodCall(at: index, limit: tokens.count) ?? packetAccess(at: index, limit: tokens.count)
        }
        return nil
    }

    // MARK: - Table macros

    mutating func tableMacro(at index: Int, macro: String) -> Edit? {
        guard let (arguments, close) = macroArguments(at: index) else { return nil }
        let args = arguments.map { argumentText($0) }
        let line = lines.location(of: tokens[index].start).line
        func argument(_ i: Int, _ fallback: String) -> String { i < args.count && !args[i].isEmpty ? args[i] : fallback }
        let table: TableDefinition
        switch macro {
        case "BPF_HASH":
            table = TableDefinition(name: argument(0, ""), kind: .hash, keyType: argument(1, "u64"), leafType: argument(2, "u64"), maxEntries: argument(3, "10240"), line: line)
        case "BPF_LRU_HASH":
            table = TableDefinition(name: argument(0, ""), kind: .lruHash, keyType: argument(1, "u64"), leafType: argument(2, "u64"), maxEntries: argument(3, "10240"), line: line)
        case "BPF_PERCPU_HASH":
            table = TableDefinition(name: argument(0, ""), kind: .perCPUHash, keyType: argument(1, "u64"), leafType: argument(2, "u64"), maxEntries: argument(3, "10240"), line: line)
        case "BPF_ARRAY":
            table = TableDefinition(name: argument(0, ""), kind: .array, keyType: "int", leafType: argument(1, "u64"), maxEntries: argument(2, "10240"), line: line)
        case "BPF_PERCPU_ARRAY":
            table = TableDefinition(name: argument(0, ""), kind: .perCPUArray, keyType: "int", leafType: argument(1, "u64"), maxEntries: argument(2, "10240"), line: line)
        case "BPF_HISTOGRAM":
            table = TableDefinition(name: argument(0, ""), kind: .histogram, keyType: argument(1, "int"), leafType: "u64", maxEntries: argument(2, "64"), line: line)
        case "BPF_STACK_TRACE":
            table = TableDefinition(name: argument(0, ""), kind: .stackTrace, keyType: "u32", leafType: "u64[127]", maxEntries: argument(1, "1024"), line: line)
        case "BPF_PERF_OUTPUT":
            table = TableDefinition(name: argument(0, ""), kind: .perfOutput, keyType: "int", leafType: "u32", maxEntries: String(options.possibleCPUs), line: line)
        case "BPF_PERF_ARRAY":
            table = TableDefinition(name: argument(0, ""), kind: .perfArray, keyType: "int", leafType: "u32", maxEntries: argument(1, String(options.possibleCPUs)), line: line)
        case "BPF_PROG_ARRAY":
            table = TableDefinition(name: argument(0, ""), kind: .programArray, keyType: "int", leafType: "int", maxEntries: argument(1, "10240"), line: line)
        case "BPF_RINGBUF_OUTPUT":
            guard args.count == 2 else {
                report(at: tokens[index].start, "BPF_RINGBUF_OUTPUT(name, page_cnt) takes 2 arguments, got \(args.count)")
                return nil
            }
            guard let pages = integerValue(args[1]), pages > 0, pages & (pages - 1) == 0 else {
                report(at: tokens[arguments[1].lowerBound].start,
                       "BPF_RINGBUF_OUTPUT page count '\(args[1])' must be a power of two (the kernel needs a power-of-two number of pages)")
                return nil
            }
            // max_entries is the size in bytes, a 32-bit power of two: 2 GiB at most.
            let maximumPages = (1 << 31) / max(options.pageSize, 1)
            guard pages <= maximumPages else {
                report(at: tokens[arguments[1].lowerBound].start,
                       "BPF_RINGBUF_OUTPUT(\(args[0]), \(args[1])): \(pages) pages of \(options.pageSize) bytes is more than a ring "
                           + "buffer can hold; the limit is \(maximumPages) pages (2 GiB: its size in bytes is a 32-bit power of two)")
                return nil
            }
            table = TableDefinition(name: args[0], kind: .ringBuffer, keyType: "int", leafType: "u32", maxEntries: String(pages * options.pageSize), line: line)
        case "BPF_TABLE", "BPF_F_TABLE":
            guard args.count >= 5 else {
                report(at: tokens[index].start, "\(macro)(type, key, leaf, name, size\(macro == "BPF_F_TABLE" ? ", flags" : "")) takes \(macro == "BPF_F_TABLE" ? 6 : 5) arguments, got \(args.count)")
                return nil
            }
            let typeName = args[0].trimming("\"")
            if typeName == "extern" {
                guard let imported = importedTable(args: args, at: index, line: line) else { return nil }
                table = imported
                break
            }
            guard let kind = TableDefinition.Kind(bpfTableType: typeName) else {
                report(at: tokens[arguments[0].lowerBound].start, "unknown table type \(args[0]) in \(macro)")
                return nil
            }
            table = TableDefinition(name: args[3], kind: kind, keyType: args[1], leafType: args[2], maxEntries: args[4], line: line,
                                    flags: macro == "BPF_F_TABLE" && args.count > 5 ? args[5] : nil)
        case "BPF_TABLE_PUBLIC", "BPF_TABLE_SHARED", "BPF_TABLE_PINNED", "BPF_STACK_TRACE_BUILDID":
            guard let shared = libraryTable(macro: macro, args: args, arguments: arguments, at: index, line: line) else { return nil }
            table = shared
        default:
            guard let other = networkTable(macro: macro, args: args, at: index, line: line)
                ?? storageTable(macro: macro, args: args, at: index, line: line) else { return nil }
            table = other
        }
        guard checkNetworkTable(table, at: index) else { return nil }
        guard isIdentifier(table.name) else {
            report(at: tokens[index].start, "\(macro) needs a table name as its first argument")
            return nil
        }
        // In #if/#else branches the preprocessor decides which declaration is compiled.
        if tables[table.name] != nil && conditionalDepth == 0 && !conditionalTables.contains(table.name) {
            report(at: tokens[index].start, "table '\(table.name)' is declared twice")
        }
        if conditionalDepth > 0 { conditionalTables.insert(table.name) }
        tables[table.name] = table
        tableDefinitions.append(table)
        return Edit(
            replacedStart: tokens[index].start, replacedEnd: tokens[close].end,
            pieces: [.text(table.cDefinition + newlines(from: tokens[index].start, to: tokens[close].end), anchor: tokens[index].start)],
            nextToken: close + 1)
    }

    // MARK: - Probe macros

    enum ProbeMacro {
        case tracepoint, rawTracepoint, fentry, fexit, lsm, modifyReturn, moduleFentry, moduleFexit, program, iterator

        /// For the BTF-typed probes: the macro's name, the program name's
        /// prefix (bcc's) and the section's (libbpf's).
        var trampoline: (macro: String, prefix: String, section: String) {
            switch self {
            case .fexit: return ("KRETFUNC_PROBE", "kretfunc", "fexit/")
            case .lsm: return ("LSM_PROBE", "lsm", "lsm/")
            case .modifyReturn: return ("KMOD_RET", "kmod_ret", "fmod_ret/")
            case .moduleFentry: return ("MODULE_KFUNC_PROBE", "kfunc", "fentry/")
            case .moduleFexit: return ("MODULE_KRETFUNC_PROBE", "kretfunc", "fexit/")
            case .program: return ("BPF_PROG", "", "")
            default: return ("KFUNC_PROBE", "kfunc", "fentry/")
            }
        }
    }

    mutating func probeMacro(at index: Int, kind: ProbeMacro) -> Edit? {
        guard let (arguments, close) = macroArguments(at: index) else { return nil }
        let args = arguments.map { argumentText($0) }
        let start = tokens[index].start
        let line = lines.location(of: start).line
        let header: String
        switch kind {
        case .tracepoint:
            guard args.count == 2, isIdentifier(args[0]), isIdentifier(args[1]) else {
                report(at: start, "TRACEPOINT_PROBE(category, event) takes a category and an event name")
                return nil
            }
            let name = "tracepoint__\(args[0])__\(args[1])"
            tracepoints.append("\(args[0]):\(args[1])")
            functions.append(ProbeFunction(name: name, section: "tracepoint/\(args[0])/\(args[1])", line: line))
            header = "SEC(\"tracepoint/\(args[0])/\(args[1])\") int \(name)(struct \(name) *args)"
        case .rawTracepoint:
            guard args.count == 1, isIdentifier(args[0]) else {
                report(at: start, "RAW_TRACEPOINT_PROBE(event) takes an event name")
                return nil
            }
            let name = "raw_tracepoint__\(args[0])"
            functions.append(ProbeFunction(name: name, section: "raw_tracepoint/\(args[0])", line: line))
            header = "SEC(\"raw_tracepoint/\(args[0])\") int \(name)(struct bpf_raw_tracepoint_args *ctx)"
        case .iterator:
            // bcc's BPF_ITER(task): `int bpf_iter__task(struct bpf_iter__task *ctx)`, loaded and attached by hand.
            guard args.count == 1, isIdentifier(args[0]) else {
                report(at: start, "BPF_ITER(target) takes an iterator target, e.g. task")
                return nil
            }
            let name = "bpf_iter__\(args[0])"
            functions.append(ProbeFunction(name: name, section: "iter/\(args[0])", line: line))
            header = "SEC(\"iter/\(args[0])\") int \(name)(struct \(name) *ctx)"
        case .fentry, .fexit, .lsm, .modifyReturn, .moduleFentry, .moduleFexit, .program:
            let (macro, prefix, sectionPrefix) = kind.trampoline
            // MODULE_KFUNC_PROBE(module, function, ...) names the module first; BPF_PROG(name, ...) the program.
            let named = kind == .moduleFentry || kind == .moduleFexit ? 2 : 1
            guard args.count >= named, args.prefix(named).allSatisfy(isIdentifier) else {
                let what = kind == .lsm ? "security hook" : kind == .program ? "program" : "function"
                report(at: start, "\(macro)(\(named == 2 ? "module, " : "")\(what), args...) needs a \(named == 2 ? "module and a " : "")\(what) name")
                return nil
            }
            let target = args[named - 1]
            let name: String, section: String
            switch kind {
            case .program:
                // bcc's own prefixes still decide where a BPF_PROG attaches; another name is loaded by hand.
                name = target
                section = ProbeFunction.trampolineSection(name: target) ?? "fentry"
            case .moduleFentry, .moduleFexit:
                name = "\(prefix)__\(args[0])__\(target)"
                section = sectionPrefix + target
            default:
                name = "\(prefix)__\(target)"
                section = sectionPrefix + target
            }
            let inner = "____\(name)"
            let parameters = Array(args.dropFirst(named))
            var casts: [String] = []
            for (position, parameter) in parameters.enumerated() {
                guard let type = parameterType(parameter) else {
                    report(at: tokens[arguments[position + named].lowerBound].start, "\(macro) argument '\(parameter)' needs a type and a name")
                    return nil
                }
                casts.append("(\(type))ctx[\(position)]")
            }
            let innerParameters = (["unsigned long long *ctx"] + parameters).joined(separator: ", ")
            functions.append(ProbeFunction(name: name, section: section, line: line))
            header = "static __always_inline int \(inner)(\(innerParameters)); "
                + "SEC(\"\(section)\") int \(name)(unsigned long long *ctx) { return \(inner)(\((["ctx"] + casts).joined(separator: ", "))); } "
                + "static __always_inline int \(inner)(\(innerParameters))"
        }
        contextParameter = kind == .tracepoint ? "args" : "ctx"
        packetPointers = [:]
        return Edit(
            replacedStart: start, replacedEnd: tokens[close].end,
            pieces: [.text(header + newlines(from: start, to: tokens[close].end), anchor: start)],
            nextToken: close + 1)
    }

    // MARK: - Function definitions

    /// A top-level, non-static function definition becomes a BPF program in
    /// its own section; kprobe functions with extra parameters get them from
    /// the registers, as in bcc.
    mutating func functionDefinition(at index: Int, declarationStart: Int) -> Edit? {
        guard index + 1 < tokens.count, tokenizer.matches(tokens[index + 1], "("),
              let close = matchingClose(index + 1), close + 1 < tokens.count,
              tokenizer.matches(tokens[close + 1], "{") else { return nil }
        let declaration = declarationStart..<index
        guard !declaration.isEmpty else { return nil }
        if declaration.contains(where: { tokenizer.matches(tokens[$0], "typedef") }) { return nil }
        if declaration.contains(where: { tokenizer.matches(tokens[$0], "static") }) {
            enterFunction(parameters: splitArguments(open: index + 1, close: close))
            return staticFunctionDefinition(declaration: declaration, body: close + 1)
        }
        let name = tokenizer.text(tokens[index])
        let parameters = splitArguments(open: index + 1, close: close)
        enterFunction(parameters: parameters)
        let firstParameter = parameters.first.map { argumentText($0) } ?? ""
        let line = lines.location(of: tokens[index].start).line
        // bcc's names get libbpf's section for their attach point; other
        // functions are attached by hand, and a bare section only picks the
        // program type from the context parameter.
        let section: String
        var loadsOnAttach = false
        if let conventional = ProbeFunction.conventionalSection(name: name) {
            section = conventional
        } else if let network = Self.networkSection(forContext: firstParameter) {
            (section, loadsOnAttach) = network
        } else if firstParameter.contains("bpf_perf_event_data") {
            section = "perf_event"
        } else if firstParameter.contains("bpf_raw_tracepoint_args") {
            section = "raw_tracepoint"
        } else if firstParameter.contains("struct tracepoint__") {
            section = "tracepoint"
        } else {
            section = "kprobe"
        }
        let function = ProbeFunction(name: name, section: section, line: line, loadsOnAttach: loadsOnAttach)
        if case let .tracepoint(category, event) = function.attachTarget {
            tracepoints.append("\(category):\(event)")
        }
        functions.append(function)

        let declarationStartByte = tokens[declarationStart].start
        var pieces: [Piece] = [.text("SEC(\"\(section)\") ", anchor: declarationStartByte),
                               .verbatimBytes(declarationStartByte..<tokens[close + 1].end)]
        // bcc's kprobe parameters: `int kprobe__f(struct pt_regs *ctx, int fd)` reads fd from the registers.
        if parameters.count > 1, firstParameter.contains("pt_regs"), let contextName = parameterName(firstParameter) {
            var loads = ""
            for (position, range) in parameters.dropFirst().enumerated() {
                let parameter = argumentText(range)
                guard position < 6, let type = parameterType(parameter), let variable = parameterName(parameter) else {
                    report(at: tokens[range.lowerBound].start, "kprobe parameter '\(parameter)' cannot be read from registers (at most 6 named parameters)")
                    return nil
                }
                loads += " \(type) \(variable) = (\(type))PT_REGS_PARM\(position + 1)(\(contextName));"
            }
            let firstRange = parameters[0]
            pieces = [.text("SEC(\"\(section)\") ", anchor: declarationStartByte),
                      .verbatimBytes(declarationStartByte..<tokens[firstRange.upperBound - 1].end),
                      .text(newlines(from: tokens[firstRange.upperBound - 1].end, to: tokens[close].start), anchor: tokens[firstRange.upperBound].start),
                      .verbatimBytes(tokens[close].start..<tokens[close + 1].end),
                      .text(loads, anchor: tokens[close + 1].end)]
        }
        return Edit(replacedStart: declarationStartByte, replacedEnd: tokens[close + 1].end, pieces: pieces, nextToken: close + 2)
    }

    /// bcc forces every static function with a body inline (BPF programs of
    /// old kernels could not call functions); one marked noinline stays a call.
    mutating func staticFunctionDefinition(declaration: Range<Int>, body: Int) -> Edit? {
        let start = tokens[declaration.lowerBound].start
        if declaration.contains(where: { tokenizer.matches(tokens[$0], "noinline") || tokenizer.matches(tokens[$0], "__noinline") }) {
            return nil
        }
        return Edit(replacedStart: start, replacedEnd: tokens[body].end,
                    pieces: [.text("__attribute__((always_inline)) ", anchor: start), .verbatimBytes(start..<tokens[body].end)],
                    nextToken: body + 1)
    }

    // MARK: - Map method calls

    static let methods: Set<String> = Set([
        "lookup", "lookup_or_try_init", "lookup_or_init", "update", "insert", "delete",
        "increment", "atomic_increment", "perf_submit", "ringbuf_output", "ringbuf_reserve",
        "ringbuf_submit", "ringbuf_discard", "ringbuf_query", "get_stackid", "call",
    ]).union(networkMethods.keys).union(storageMethodNames)

    mutating func mapMethodCall(at index: Int, limit: Int) -> Edit? {
        guard index + 3 < limit, let table = tables[tokenizer.text(tokens[index])],
              tokenizer.matches(tokens[index + 1], "."), tokens[index + 2].kind == .identifier,
              tokenizer.matches(tokens[index + 3], "(") else { return nil }
        if index > 0, tokenizer.matches(tokens[index - 1], ".") || tokenizer.matches(tokens[index - 1], "->") { return nil }
        let method = tokenizer.text(tokens[index + 2])
        let start = tokens[index].start
        guard let close = matchingClose(index + 3), close < limit else {
            report(at: start, "unbalanced parentheses in call to \(table.name).\(method)")
            return nil
        }
        let arguments = splitArguments(open: index + 3, close: close)
        let end = tokens[close].end
        func edit(_ pieces: [Piece]) -> Edit {
            Edit(replacedStart: start, replacedEnd: end, pieces: pieces, nextToken: close + 1)
        }
        if let network = networkMethodCall(table: table, method: method, arguments: arguments, at: index, edit: edit) {
            return network
        }
        if let storage = storageMethodCall(table: table, method: method, arguments: arguments, at: index, edit: edit) {
            return storage
        }
        guard Self.methods.contains(method) else {
            report(at: tokens[index + 2].start, "unknown method '\(method)' on table '\(table.name)'")
            return edit([.text("0", anchor: start)])
        }
        let expected: [String: Int] = [
            "lookup": 1, "lookup_or_try_init": 2, "lookup_or_init": 2, "update": 2, "insert": 2, "delete": 1,
            "perf_submit": 3, "ringbuf_output": 3, "ringbuf_reserve": 1, "ringbuf_submit": 2,
            "ringbuf_discard": 2, "ringbuf_query": 1, "get_stackid": 2, "call": 2,
        ]
        if method == "increment" || method == "atomic_increment" {
            guard arguments.count == 1 || arguments.count == 2 else {
                report(at: tokens[index + 2].start, "\(table.name).\(method) takes a key and an optional increment, got \(arguments.count) arguments")
                return edit([.text("0", anchor: start)])
            }
        } else if let count = expected[method], arguments.count != count {
            report(at: tokens[index + 2].start, "\(table.name).\(method) takes \(count) argument\(count == 1 ? "" : "s"), got \(arguments.count)")
            return edit([.text("0", anchor: start)])
        }
        let ringMethods: Set<String> = ["ringbuf_output", "ringbuf_reserve", "ringbuf_submit", "ringbuf_discard", "ringbuf_query"]
        if ringMethods.contains(method) && table.kind != .ringBuffer {
            report(at: tokens[index + 2].start, "\(method) needs a BPF_RINGBUF_OUTPUT table; '\(table.name)' is not one")
            return edit([.text("0", anchor: start)])
        }
        if method == "perf_submit" && table.kind != .perfOutput {
            report(at: tokens[index + 2].start, "perf_submit needs a BPF_PERF_OUTPUT table; '\(table.name)' is not one")
            return edit([.text("0", anchor: start)])
        }
        let map = "(void *)&\(table.name)"
        let value = "typeof(\(table.name).value)"
        func t(_ text: String) -> Piece { .text(text, anchor: start) }
        func arg(_ i: Int) -> Piece { .tokens(arguments[i]) }
        switch method {
        case "lookup":
            return edit([t("((\(value))bpf_map_lookup_elem(\(map), "), arg(0), t("))")])
        case "lookup_or_try_init", "lookup_or_init":
            return edit([t("({ void *__bcc_key = ("), arg(0), t("); \(value) __bcc_leaf = bpf_map_lookup_elem(\(map), __bcc_key); "),
                         t("if (!__bcc_leaf) { bpf_map_update_elem(\(map), __bcc_key, "), arg(1),
                         t(", BPF_NOEXIST); __bcc_leaf = bpf_map_lookup_elem(\(map), __bcc_key); "),
                         // bcc: lookup_or_init returns 0 from the probe when the insert failed.
                         t(method == "lookup_or_init" ? "if (!__bcc_leaf) return 0; } __bcc_leaf; })" : "} __bcc_leaf; })")])
        case "update", "insert":
            return edit([t("bpf_map_update_elem(\(map), "), arg(0), t(", "), arg(1), t(method == "update" ? ", BPF_ANY)" : ", BPF_NOEXIST)")])
        case "delete":
            return edit([t("bpf_map_delete_elem(\(map), "), arg(0), t(")")])
        case "increment", "atomic_increment":
            var pieces: [Piece] = [t("({ typeof(*\(table.name).key) __bcc_key = "), arg(0), t("; typeof(*\(table.name).value) __bcc_amount = ")]
            pieces += arguments.count == 2 ? [t("("), arg(1), t(")")] : [t("1")]
            pieces += [t("; \(value) __bcc_leaf = bpf_map_lookup_elem(\(map), &__bcc_key); ")]
            pieces += [t(method == "atomic_increment" || table.isArrayLike
                         ? "if (__bcc_leaf) __sync_fetch_and_add(__bcc_leaf, __bcc_amount);"
                         : "if (__bcc_leaf) (*__bcc_leaf) += __bcc_amount;")]
            if !table.isArrayLike {
                pieces += [t(" else { typeof(*\(table.name).value) __bcc_zero; __builtin_memset(&__bcc_zero, 0, sizeof(__bcc_zero)); "
                             + "__bcc_zero += __bcc_amount; bpf_map_update_elem(\(map), &__bcc_key, &__bcc_zero, BPF_NOEXIST); }")]
            }
            return edit(pieces + [t(" })")])
        case "perf_submit":
            recordEventType(table: table.name, argument: arguments[1])
            return edit([t("bpf_perf_event_output("), arg(0), t(", \(map), BPF_F_CURRENT_CPU, "), arg(1), t(", "), arg(2), t(")")])
        case "ringbuf_output":
            recordEventType(table: table.name, argument: arguments[0])
            return edit([t("({ long __bcc_ret = bpf_ringbuf_output(\(map), "), arg(0), t(", "), arg(1), t(", "), arg(2),
                         t("); if (__bcc_ret) __bcc_count_lost((void *)&\(TableDefinition.lostCounterName(forRing: table.name))); __bcc_ret; })")])
        case "ringbuf_reserve":
            recordReserveTarget(table: table.name, callIndex: index)
            return edit([t("({ void *__bcc_record = bpf_ringbuf_reserve(\(map), "), arg(0),
                         t(", 0); if (!__bcc_record) __bcc_count_lost((void *)&\(TableDefinition.lostCounterName(forRing: table.name))); __bcc_record; })")])
        case "ringbuf_submit", "ringbuf_discard":
            if method == "ringbuf_submit" { recordEventType(table: table.name, argument: arguments[0]) }
            return edit([t("bpf_\(method)((void *)("), arg(0), t("), "), arg(1), t(")")])
        case "ringbuf_query":
            return edit([t("bpf_ringbuf_query(\(map), "), arg(0), t(")")])
        case "get_stackid":
            return edit([t("bpf_get_stackid("), arg(0), t(", \(map), "), arg(1), t(")")])
        default: // call
            return edit([t("bpf_tail_call("), arg(0), t(", \(map), "), arg(1), t(")")])
        }
    }

    // MARK: - Event types

    /// Records the type of the data argument (`&data` or `data`) by finding the variable's declaration.
    mutating func recordEventType(table: String, argument: Range<Int>) {
        var range = argument
        // Strip casts like (void *) and an address-of.
        while range.count > 1, tokenizer.matches(tokens[range.lowerBound], "("), let close = matchingClose(range.lowerBound), close < range.upperBound - 1 {
            range = (close + 1)..<range.upperBound
        }
        var addressOf = false
        if range.count == 2, tokenizer.matches(tokens[range.lowerBound], "&") {
            addressOf = true
            range = (range.lowerBound + 1)..<range.upperBound
        }
        guard range.count == 1, tokens[range.lowerBound].kind == .identifier else { return }
        let variable = tokenizer.text(tokens[range.lowerBound])
        guard let (type, pointerDepth) = declaredType(of: variable, before: range.lowerBound) else { return }
        // `&data` of a struct, or `data` of a pointer to one.
        if (addressOf && pointerDepth == 0) || (!addressOf && pointerDepth == 1) {
            eventTypes[table] = type
        }
    }

    /// `struct T *p = table.ringbuf_reserve(...)` or `p = table.ringbuf_reserve(...)`.
    mutating func recordReserveTarget(table: String, callIndex: Int) {
        var i = callIndex - 1
        if i >= 0, tokenizer.matches(tokens[i], ")") {
            // A cast in front of the call: skip back to its '('.
            var depth = 0
            while i >= 0 {
                if tokenizer.matches(tokens[i], ")") { depth += 1 }
                if tokenizer.matches(tokens[i], "(") { depth -= 1; if depth == 0 { break } }
                i -= 1
            }
            i -= 1
        }
        guard i >= 1, tokenizer.matches(tokens[i], "="), tokens[i - 1].kind == .identifier else { return }
        let variable = tokenizer.text(tokens[i - 1])
        if let (type, pointerDepth) = declaredType(of: variable, before: i), pointerDepth == 1 {
            eventTypes[table] = type
        }
    }

    /// The declared type of `variable`, searching back from `index`: the
    /// struct or typedef name and the number of `*`s. Only names the user's
    /// source defines count (so the result is a type clang knows).
    func declaredType(of variable: String, before index: Int) -> (String, Int)? {
        let keywords: Set<String> = ["return", "case", "goto", "sizeof", "else", "do", "if", "while", "for", "switch"]
        var i = index
        while i > 0 {
            i -= 1
            guard tokens[i].kind == .identifier, tokenizer.matches(tokens[i], variable), i + 1 < tokens.count else { continue }
            let next = tokenizer.text(tokens[i + 1])
            guard ["=", ";", ",", "[", ")"].contains(next) else { continue }
            var j = i - 1
            var pointers = 0
            while j >= 0, tokenizer.matches(tokens[j], "*") || tokenizer.matches(tokens[j], "const") || tokenizer.matches(tokens[j], "volatile") {
                if tokenizer.matches(tokens[j], "*") { pointers += 1 }
                j -= 1
            }
            guard j >= 0, tokens[j].kind == .identifier else { continue }
            let typeName = tokenizer.text(tokens[j])
            guard !keywords.contains(typeName) else { continue }
            if j >= 1, tokenizer.matches(tokens[j - 1], "struct") || tokenizer.matches(tokens[j - 1], "union") {
                let tag = tokenizer.text(tokens[j - 1])
                guard userTypeNames.contains("\(tag) \(typeName)") else { return nil }
                return ("\(tag) \(typeName)", pointers)
            }
            guard userTypeNames.contains(typeName) else { return nil }
            return (typeName, pointers)
        }
        return nil
    }

    /// Struct, union and enum tags defined with a body, and typedef names, in the user's source.
    mutating func collectUserTypeNames() {
        var depth = 0
        for i in tokens.indices {
            let token = tokens[i]
            if tokenizer.matches(token, "{") { depth += 1 }
            if tokenizer.matches(token, "}") { depth -= 1 }
            if (tokenizer.matches(token, "struct") || tokenizer.matches(token, "union") || tokenizer.matches(token, "enum")), i + 2 < tokens.count,
               tokens[i + 1].kind == .identifier, tokenizer.matches(tokens[i + 2], "{") {
                userTypeNames.insert("\(tokenizer.text(token)) \(tokenizer.text(tokens[i + 1]))")
            }
            // `typedef ... NAME;` at file scope: the identifier before the ';' that ends it.
            if depth == 0, tokenizer.matches(token, ";"), i > 0, tokens[i - 1].kind == .identifier {
                var j = i - 1
                var nesting = 0
                while j > 0 {
                    j -= 1
                    if tokenizer.matches(tokens[j], "}") { nesting += 1 }
                    if tokenizer.matches(tokens[j], "{") { nesting -= 1 }
                    if nesting == 0 && (tokenizer.matches(tokens[j], ";") || tokens[j].kind == .directive) { break }
                    if nesting == 0 && tokenizer.matches(tokens[j], "typedef") {
                        userTypeNames.insert(tokenizer.text(tokens[i - 1]))
                        break
                    }
                }
            }
        }
    }

    /// `#define F(x) table.lookup(x)` cannot be rewritten (the call's text
    /// only exists after preprocessing); bcc refuses it too.
    mutating func reportMapCallsInMacros() {
        for directive in tokens where directive.kind == .directive {
            let text = tokenizer.text(directive)
            guard text.dropFirst().drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("define") else { continue }
            let inner = CTokenizer(String(text.dropFirst()))
            let innerTokens = inner.tokenize()
            for i in innerTokens.indices where i + 3 < innerTokens.count {
                guard tables[inner.text(innerTokens[i])] != nil, inner.matches(innerTokens[i + 1], "."),
                      Self.methods.contains(inner.text(innerTokens[i + 2])), inner.matches(innerTokens[i + 3], "(") else { continue }
                report(at: directive.start + 1 + innerTokens[i].start,
                       "cannot use map method '\(inner.text(innerTokens[i])).\(inner.text(innerTokens[i + 2]))' inside a macro; call it in the function")
            }
        }
    }

    /// `struct tracepoint__CAT__NAME` anywhere (a function attached with
    /// attachTracepoint) needs that tracepoint's args struct, as in bcc.
    mutating func collectTracepointStructReferences() {
        for i in tokens.indices.dropFirst() where tokens[i].kind == .identifier && tokenizer.matches(tokens[i - 1], "struct") {
            let name = tokenizer.text(tokens[i])
            guard let rest = name.dropPrefix("tracepoint__"), let split = rest.firstRange(of: "__") else { continue }
            let category = rest[..<split.lowerBound], event = rest[split.upperBound...]
            guard !category.isEmpty, !event.isEmpty else { continue }
            tracepoints.append("\(category):\(event)")
        }
    }

    // MARK: - Token helpers

    /// For `NAME ( ... )` at `index`: the argument token ranges and the index of `)`.
    func macroArguments(at index: Int) -> ([Range<Int>], Int)? {
        guard index + 1 < tokens.count, tokenizer.matches(tokens[index + 1], "("), let close = matchingClose(index + 1) else { return nil }
        return (splitArguments(open: index + 1, close: close), close)
    }

    /// The index of the `)` matching the `(` at `open`.
    func matchingClose(_ open: Int) -> Int? {
        var depth = 0
        var i = open
        while i < tokens.count {
            let token = tokens[i]
            if token.kind == .punctuator {
                if tokenizer.matches(token, "(") || tokenizer.matches(token, "[") || tokenizer.matches(token, "{") { depth += 1 }
                if tokenizer.matches(token, ")") || tokenizer.matches(token, "]") || tokenizer.matches(token, "}") {
                    depth -= 1
                    if depth == 0 { return tokenizer.matches(token, ")") ? i : nil }
                }
            }
            i += 1
        }
        return nil
    }

    /// The comma-separated argument token ranges between `open` and `close`.
    func splitArguments(open: Int, close: Int) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var depth = 0
        var start = open + 1
        for i in (open + 1)..<close {
            let token = tokens[i]
            guard token.kind == .punctuator else { continue }
            if tokenizer.matches(token, "(") || tokenizer.matches(token, "[") || tokenizer.matches(token, "{") { depth += 1 }
            if tokenizer.matches(token, ")") || tokenizer.matches(token, "]") || tokenizer.matches(token, "}") { depth -= 1 }
            if depth == 0 && tokenizer.matches(token, ",") {
                result.append(start..<i)
                start = i + 1
            }
        }
        if start < close || !result.isEmpty { result.append(start..<close) }
        return result
    }

    /// The source text of a token range, whitespace collapsed.
    func argumentText(_ range: Range<Int>) -> String {
        guard !range.isEmpty else { return "" }
        var parts: [String] = []
        var previousEnd = tokens[range.lowerBound].start
        for i in range {
            if tokens[i].start > previousEnd && !parts.isEmpty { parts.append(" ") }
            parts.append(tokenizer.text(tokens[i]))
            previousEnd = tokens[i].end
        }
        return parts.joined()
    }

    /// The type part of a parameter declaration ("struct file *file" -> "struct file *").
    func parameterType(_ parameter: String) -> String? {
        guard let name = parameterName(parameter) else { return nil }
        let type = String(parameter.dropLast(name.count)).trimming(" ")
        return type.isEmpty ? nil : type
    }

    /// The name declared by a parameter declaration ("struct file *file" -> "file").
    func parameterName(_ parameter: String) -> String? {
        let trimmed = parameter.trimming(" ")
        guard let last = trimmed.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).last,
              trimmed.hasSuffix(last), trimmed.count > last.count else { return nil }
        return String(last)
    }

    func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    func integerValue(_ text: String) -> Int? {
        let trimmed = text.trimming(" ")
        if let shift = trimmed.firstRange(of: "<<") {
            guard let base = integerValue(String(trimmed[..<shift.lowerBound])),
                  let amount = integerValue(String(trimmed[shift.upperBound...])), amount < 40 else { return nil }
            return base << amount
        }
        let digits = trimmed.trimming("()uUlL")
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { return Int(digits.dropFirst(2), radix: 16) }
        return Int(digits)
    }

    /// `#include <...>`: kernel headers, whose types the BTF header already has.
    func isKernelInclude(_ token: CToken) -> Bool {
        let text = tokenizer.text(token)
        let words = text.dropFirst().drop { $0 == " " || $0 == "\t" }
        return words.hasPrefix("include") && words.dropFirst("include".count).drop { $0 == " " || $0 == "\t" }.hasPrefix("<")
    }

    func newlines(in token: CToken) -> String { newlines(from: token.start, to: token.end) }

    func newlines(from start: Int, to end: Int) -> String {
        String(repeating: "\n", count: tokenizer.bytes[start..<end].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
    }

    mutating func report(at offset: Int, _ message: String) {
        let (line, column) = lines.location(of: offset)
        let sourceLine = lines.range(ofLine: line).map { String(decoding: tokenizer.bytes[$0], as: UTF8.self) } ?? ""
        diagnostics.append(CompileDiagnostic(file: options.fileName, line: line, column: column, severity: .error, message: message, sourceLine: sourceLine))
    }
}

extension String {
    /// The string without leading and trailing characters from `set`.
    func trimming(_ set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
