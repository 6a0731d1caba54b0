// Which memory accesses of a bcc program read kernel (or user) memory and
// must become probe reads: bcc's ProbeVisitor semantics over clang's AST.
//
// A value "reaches" external memory at depth d when d dereferences of it
// give an external pointer (d = 0: the value is one). External pointers come
// from the probe's context (pt_regs registers, raw tracepoint args, pointer
// fields of tracepoint args), from bpf_get_current_task(), and from memory
// read through external pointers; they flow through initialisers,
// assignments (to variables, struct fields and through pointers), calls to
// functions with bodies (arguments to parameters, returns to the call),
// bpf_probe_read* destinations and maps whose update stores them (their
// lookups). An lvalue whose address is an external pointer and whose value
// is loaded (clang's LValueToRValue cast) is a load to rewrite; taking its
// address, decaying an array and unevaluated operands (sizeof) are not loads.
// The analysis is flow-insensitive: it iterates to a fixed point over every
// function, so the order of definitions does not matter.

/// Whose memory a pointer points into.
package enum AddressSpace: Hashable, Sendable {
    /// Kernel memory: read with bpf_probe_read_kernel.
    case kernel
    /// User memory (syscall arguments, `__user`): read with bpf_probe_read_user.
    case user
    /// Either (registers of a function that may be a kprobe or a uprobe): try kernel, then user.
    case unknown
}

/// A load of external memory the rewrite turns into a probe read.
package struct ExternalLoad: Sendable {
    /// The lvalue expression whose value is loaded.
    package var expression: ClangNode
    /// The memory it reads.
    package var space: AddressSpace
}

/// Finds the loads of external memory in a translation unit.
package struct ExternalPointerAnalysis {
    /// The deepest pointer-to-pointer chain tracked (bcc's tests go to three).
    static let maximumDepth = 6

    /// The loads to rewrite (each once; ImplicitReadPlan orders them by offset).
    package private(set) var loads: [ExternalLoad] = []

    /// Analyses `unit` (a TranslationUnitDecl dumped from the bytes `source`)
    /// whose BPF programs are the functions `probes` names, with their ELF sections.
    package init(unit: ClangNode, source: [UInt8], probes: [(name: String, section: String)]) {
        var functions: [String: ClangNode] = [:]
        for declaration in unit.inner where declaration.kind == "FunctionDecl" {
            guard let name = declaration.name, declaration.inner.contains(where: { $0.kind == "CompoundStmt" }) else { continue }
            functions[name] = declaration
        }
        var walker = Walker(functions: functions)
        for probe in probes {
            guard let function = functions[probe.name],
                  let context = function.inner.first(where: { $0.kind == "ParmVarDecl" }),
                  let space = Self.contextSpace(section: probe.section, contextType: context.canonicalType ?? "") else { continue }
            walker.contexts[context.id] = space
        }
        let marksUser = { (node: ClangNode) in Self.marksUser(node, source) }
        Self.collectUserDeclarations(in: unit, marksUser, into: &walker.userDeclarations)
        Self.collectUserCasts(in: unit, marksUser, into: &walker.userCasts)
        let ordered = functions.keys.sorted().compactMap { functions[$0] }
        for _ in 0..<32 {
            walker.changed = false
            for function in ordered { walker.function(function) }
            if !walker.changed { break }
        }
        walker.recording = true
        for function in ordered { walker.function(function) }
        var seen = Set<UInt64>()
        loads = walker.loads.filter { seen.insert($0.expression.id).inserted }
    }

    /// Where the pointer members of a probe's context point, or nil when its
    /// first parameter is not a tracing context (fentry arguments are typed
    /// kernel pointers the verifier lets the program load from directly).
    static func contextSpace(section: String, contextType: String) -> AddressSpace? {
        if section.hasPrefix("fentry") || section.hasPrefix("fexit") { return nil }
        let type = contextType.split(separator: " ").filter { $0 != "const" }.joined(separator: " ")
        switch type {
        case "struct pt_regs *":
            // Registers hold kernel addresses in a kprobe and user addresses in a
            // uprobe; a function attached by hand (section "kprobe") may be either.
            return section.hasPrefix("kprobe/") || section.hasPrefix("kretprobe/") ? .kernel : .unknown
        case "struct bpf_raw_tracepoint_args *":
            return .kernel
        default:
            guard type.hasPrefix("struct tracepoint__"), type.hasSuffix(" *") else { return nil }
            // Syscall tracepoints record the syscall's arguments: user addresses.
            let name = type.dropFirst("struct tracepoint__".count)
            return name.hasPrefix("syscalls__") || name.hasPrefix("raw_syscalls__") ? .user : .kernel
        }
    }

    /// True when the declaration or cast's own text (up to its initialiser or operand) has the token `__user`.
    static func marksUser(_ node: ClangNode, _ source: [UInt8]) -> Bool {
        guard !node.begin.isMacro, let start = node.begin.spelling, start.inMainFile else { return false }
        var end = start.offset
        if let operand = node.expressionChildren.last, !operand.begin.isMacro, let operandStart = operand.begin.spelling {
            end = operandStart.offset
        } else if !node.end.isMacro, let last = node.end.spelling {
            end = last.offset + last.tokenLength
        }
        guard start.offset < end, end <= source.count else { return false }
        let word = Array("__user".utf8)
        var index = start.offset
        while index + word.count <= end {
            if source[index..<(index + word.count)].elementsEqual(word),
               index == 0 || !isIdentifierByte(source[index - 1]),
               index + word.count == source.count || !isIdentifierByte(source[index + word.count]) {
                return true
            }
            index += 1
        }
        return false
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
    }

    /// Casts to `__user` pointer types.
    private static func collectUserCasts(in node: ClangNode, _ isUser: (ClangNode) -> Bool, into set: inout Set<UInt64>) {
        for child in node.inner {
            if child.kind == "CStyleCastExpr" && isUser(child) { set.insert(child.id) }
            collectUserCasts(in: child, isUser, into: &set)
        }
    }

    /// Variables, parameters and fields declared `__user`.
    private static func collectUserDeclarations(in node: ClangNode, _ isUser: (ClangNode) -> Bool, into set: inout Set<UInt64>) {
        for child in node.inner {
            switch child.kind {
            case "VarDecl", "ParmVarDecl", "FieldDecl":
                if isUser(child) { set.insert(child.id) }
            case "FunctionDecl", "RecordDecl", "CompoundStmt", "DeclStmt":
                collectUserDeclarations(in: child, isUser, into: &set)
            default:
                break
            }
        }
    }
}

// MARK: - The walk

/// Where a value stored in an lvalue is recorded: a variable, a struct
/// field, a function's return value or a map's values.
private enum FactKey: Hashable {
    case declaration(UInt64)
    case field(UInt64)
    case returnValue(String)
    case map(UInt64)
}

/// `depth` dereferences of a value give a pointer into `space`.
private struct Reach: Hashable {
    var depth: Int
    var space: AddressSpace
}

/// A storage location facts are recorded for, and how many dereferences
/// separate the stored value from the value assigned to the lvalue.
private struct Target {
    var key: FactKey
    var offset: Int
}

/// What an rvalue reaches, and (for pointers) the storage it points to.
private struct PointerValue {
    var reaches: Set<Reach> = []
    var pointee: [Target] = []
    static let none = PointerValue()
}

/// What an lvalue is: whether its storage is external memory, what its stored value reaches, and where facts about it go.
private struct Storage {
    var external: Set<AddressSpace> = []
    var held: Set<Reach> = []
    var targets: [Target] = []
    static let none = Storage()
}

private struct Walker {
    let functions: [String: ClangNode]
    var userCasts: Set<UInt64> = []
    var contexts: [UInt64: AddressSpace] = [:]
    var userDeclarations: Set<UInt64> = []
    var facts: [FactKey: Set<Reach>] = [:]
    var changed = false
    var recording = false
    var loads: [ExternalLoad] = []
    var currentFunction: String?

    init(functions: [String: ClangNode]) {
        self.functions = functions
    }

    mutating func function(_ declaration: ClangNode) {
        currentFunction = declaration.name
        for child in declaration.inner where child.kind == "CompoundStmt" { statement(child) }
        currentFunction = nil
    }

    // MARK: Facts

    mutating func record(_ key: FactKey, _ reaches: Set<Reach>) {
        guard !reaches.isEmpty else { return }
        var set = facts[key] ?? []
        let before = set.count
        for reach in reaches where reach.depth <= ExternalPointerAnalysis.maximumDepth { set.insert(reach) }
        if set.count != before {
            facts[key] = set
            changed = true
        }
    }

    func held(_ key: FactKey) -> Set<Reach> {
        let stored = facts[key] ?? []
        switch key {
        case let .declaration(id), let .field(id):
            guard userDeclarations.contains(id) else { return stored }
            return Set(stored.map { Reach(depth: $0.depth, space: .user) })
        case .returnValue, .map:
            return stored
        }
    }

    mutating func assign(_ targets: [Target], _ reaches: Set<Reach>) {
        for target in targets {
            record(target.key, Set(reaches.map { Reach(depth: $0.depth + target.offset, space: $0.space) }))
        }
    }

    // MARK: Statements

    mutating func statement(_ node: ClangNode) {
        switch node.kind {
        case "DeclStmt":
            for declaration in node.inner where declaration.kind == "VarDecl" {
                guard let initializer = declaration.expressionChildren.last else { continue }
                record(.declaration(declaration.id), value(initializer).reaches)
            }
        case "ReturnStmt":
            guard let result = node.expressionChildren.first else { return }
            let reaches = value(result).reaches
            if let currentFunction { record(.returnValue(currentFunction), reaches) }
        default:
            if Self.isExpression(node) {
                _ = value(node)
            } else {
                for child in node.inner { statement(child) }
            }
        }
    }

    static func isExpression(_ node: ClangNode) -> Bool {
        !node.kind.hasSuffix("Stmt") && !node.kind.hasSuffix("Decl") && !node.kind.hasSuffix("Attr") && !node.kind.hasSuffix("Comment")
    }

    // MARK: Rvalues

    mutating func value(_ node: ClangNode) -> PointerValue {
        // An lvalue used without a load (a parent this walk does not model): only its subexpressions count.
        if node.isLValue {
            _ = lvalue(node)
            return .none
        }
        let children = node.expressionChildren
        switch node.kind {
        case "ImplicitCastExpr", "CStyleCastExpr":
            guard let operand = children.last else { return .none }
            switch node.castKind {
            case "LValueToRValue":
                let storage = lvalue(operand)
                if recording, !storage.external.isEmpty {
                    var loaded = operand
                    while loaded.kind == "ParenExpr", let inner = loaded.expressionChildren.first { loaded = inner }
                    loads.append(ExternalLoad(expression: loaded, space: Self.space(storage.external)))
                }
                return PointerValue(reaches: storage.held, pointee: storage.targets.map { Target(key: $0.key, offset: $0.offset + 1) })
            case "ArrayToPointerDecay", "FunctionToPointerDecay":
                return address(of: lvalue(operand))
            default:
                var result = value(operand)
                if userCasts.contains(node.id) {
                    result.reaches = Set(result.reaches.map { Reach(depth: $0.depth, space: .user) })
                }
                return result
            }
        case "ParenExpr":
            guard let operand = children.first else { return .none }
            return value(operand)
        case "ChooseExpr" where children.count == 3:
            // __builtin_choose_expr(1, e, 0), which the rewriter wraps statements in: e itself.
            return value(children[1])
        case "UnaryOperator":
            guard let operand = children.first else { return .none }
            switch node.opcode {
            case "&":
                return address(of: lvalue(operand))
            case "++", "--":
                return PointerValue(reaches: lvalue(operand).held, pointee: [])
            case "__extension__":
                return value(operand)
            default:
                _ = value(operand)
                return .none
            }
        case "BinaryOperator":
            guard children.count == 2 else { return visitAll(children) }
            let (left, right) = (children[0], children[1])
            switch node.opcode {
            case "=":
                let storage = lvalue(left)
                let assigned = value(right)
                assign(storage.targets, assigned.reaches)
                return assigned
            case ",":
                _ = value(left)
                return value(right)
            case "+", "-", "&", "|":
                let l = value(left), r = value(right)
                if left.isPointer && right.isPointer { return .none }
                if left.isPointer { return l }
                if right.isPointer { return r }
                return PointerValue(reaches: l.reaches.union(r.reaches), pointee: [])
            default:
                _ = value(left)
                _ = value(right)
                return .none
            }
        case "CompoundAssignOperator":
            guard children.count == 2 else { return visitAll(children) }
            let storage = lvalue(children[0])
            _ = value(children[1])
            return PointerValue(reaches: storage.held, pointee: [])
        case "ConditionalOperator":
            guard children.count == 3 else { return visitAll(children) }
            _ = value(children[0])
            let whenTrue = value(children[1]), whenFalse = value(children[2])
            return PointerValue(reaches: whenTrue.reaches.union(whenFalse.reaches), pointee: whenTrue.pointee + whenFalse.pointee)
        case "CallExpr":
            return call(children)
        case "StmtExpr":
            guard let body = children.first(where: { $0.kind == "CompoundStmt" }) else { return .none }
            var result = PointerValue.none
            for (index, statement) in body.inner.enumerated() {
                if index == body.inner.count - 1, Self.isExpression(statement) {
                    result = statement.isLValue ? PointerValue(reaches: lvalue(statement).held, pointee: []) : value(statement)
                } else {
                    self.statement(statement)
                }
            }
            return result
        case "UnaryExprOrTypeTraitExpr", "OffsetOfExpr", "OpaqueValueExpr":
            // Unevaluated operands and repeated subexpressions: no loads happen here.
            return .none
        default:
            return visitAll(children)
        }
    }

    mutating func visitAll(_ children: [ClangNode]) -> PointerValue {
        for child in children {
            if Self.isExpression(child) { _ = value(child) } else { statement(child) }
        }
        return .none
    }

    func address(of storage: Storage) -> PointerValue {
        var reaches = Set(storage.external.map { Reach(depth: 0, space: $0) })
        for reach in storage.held { reaches.insert(Reach(depth: reach.depth + 1, space: reach.space)) }
        return PointerValue(reaches: reaches, pointee: storage.targets)
    }

    // MARK: Lvalues

    mutating func lvalue(_ node: ClangNode) -> Storage {
        let children = node.expressionChildren
        switch node.kind {
        case "ParenExpr":
            guard let operand = children.first else { return .none }
            return operand.isLValue ? lvalue(operand) : Storage.none
        case "ChooseExpr" where children.count == 3:
            return children[1].isLValue ? lvalue(children[1]) : Storage.none
        case "DeclRefExpr":
            guard let declaration = node.referencedDecl, declaration.kind == "VarDecl" || declaration.kind == "ParmVarDecl" else { return .none }
            let key = FactKey.declaration(declaration.id)
            return Storage(external: [], held: held(key), targets: [Target(key: key, offset: 0)])
        case "MemberExpr":
            guard let base = children.first else { return .none }
            let field = node.referencedMemberDecl.map { FactKey.field($0) }
            let fieldHeld = field.map { held($0) } ?? []
            let targets = field.map { [Target(key: $0, offset: 0)] } ?? []
            if node.isArrow {
                if let space = contextSpace(base) {
                    _ = value(base)
                    return Storage(external: [], held: fieldHeld.union([Reach(depth: 0, space: space)]), targets: targets)
                }
                var storage = dereference(value(base), readsRegisters: Self.pointsToRegisters(base))
                storage.held.formUnion(fieldHeld)
                storage.targets = targets
                return storage
            }
            var storage = Storage.none
            if base.isLValue { storage = lvalue(base) } else { _ = value(base) }
            storage.held.formUnion(fieldHeld)
            storage.targets = targets
            return storage
        case "UnaryOperator" where node.opcode == "*":
            guard let operand = children.first else { return .none }
            return dereference(value(operand), readsRegisters: false)
        case "ArraySubscriptExpr":
            guard children.count == 2 else { _ = visitAll(children); return .none }
            let pointerFirst = children[0].isPointer || !children[1].isPointer
            let pointer = value(pointerFirst ? children[0] : children[1])
            _ = value(pointerFirst ? children[1] : children[0])
            return dereference(pointer, readsRegisters: false)
        default:
            _ = visitAll(children)
            return .none
        }
    }

    /// The storage `*pointer` designates. Values loaded from external memory
    /// are external pointers of the same space, except saved registers,
    /// which may hold user addresses.
    func dereference(_ pointer: PointerValue, readsRegisters: Bool) -> Storage {
        var storage = Storage(targets: pointer.pointee)
        for reach in pointer.reaches {
            if reach.depth == 0 {
                storage.external.insert(reach.space)
                storage.held.insert(Reach(depth: 0, space: readsRegisters ? .unknown : reach.space))
            } else {
                storage.held.insert(Reach(depth: reach.depth - 1, space: reach.space))
            }
        }
        return storage
    }

    /// The space of the probe context a `ctx->member` base names, if it names one.
    func contextSpace(_ base: ClangNode) -> AddressSpace? {
        var node = base
        while node.kind == "ImplicitCastExpr" || node.kind == "ParenExpr", let inner = node.expressionChildren.last { node = inner }
        guard node.kind == "DeclRefExpr", let id = node.referencedDecl?.id else { return nil }
        return contexts[id]
    }

    static func pointsToRegisters(_ base: ClangNode) -> Bool {
        guard let type = base.canonicalType else { return false }
        return type.hasPrefix("struct pt_regs *") || type.hasPrefix("const struct pt_regs *")
    }

    static func space(_ spaces: Set<AddressSpace>) -> AddressSpace {
        spaces.count == 1 ? spaces.first! : .unknown
    }

    // MARK: Calls

    mutating func call(_ children: [ClangNode]) -> PointerValue {
        guard let callee = children.first else { return .none }
        let arguments = Array(children.dropFirst())
        let name = Self.calleeName(callee)
        if name == nil { _ = value(callee) }
        let values = arguments.map { value($0) }
        switch name {
        case "bpf_get_current_task":
            return PointerValue(reaches: [Reach(depth: 0, space: .kernel)], pointee: [])
        case "bpf_probe_read", "bpf_probe_read_kernel", "bpf_probe_read_user":
            guard values.count >= 3 else { return .none }
            var copied = dereference(values[2], readsRegisters: false).held
            if name == "bpf_probe_read_user" { copied = Set(copied.map { Reach(depth: $0.depth, space: .user) }) }
            assign(values[0].pointee, copied)
            return .none
        case "bpf_map_update_elem":
            guard values.count >= 3, let map = Self.mapDeclaration(arguments[0]) else { return .none }
            record(.map(map), values[2].reaches)
            return .none
        case "bpf_map_lookup_elem", "bpf_map_lookup_percpu_elem":
            guard let first = arguments.first, let map = Self.mapDeclaration(first) else { return .none }
            return PointerValue(reaches: held(.map(map)), pointee: [])
        default:
            guard let name, let function = functions[name] else { return .none }
            let parameters = function.inner.filter { $0.kind == "ParmVarDecl" }
            for (parameter, argument) in zip(parameters, values) {
                record(.declaration(parameter.id), argument.reaches)
            }
            return PointerValue(reaches: held(.returnValue(name)), pointee: [])
        }
    }

    /// The name of the function or helper pointer a callee expression names.
    static func calleeName(_ callee: ClangNode) -> String? {
        var node = callee
        while node.kind == "ImplicitCastExpr" || node.kind == "ParenExpr", let inner = node.expressionChildren.last { node = inner }
        guard node.kind == "DeclRefExpr" else { return nil }
        return node.referencedDecl?.name
    }

    /// The map variable `(void *)&map` names.
    static func mapDeclaration(_ argument: ClangNode) -> UInt64? {
        var node = argument
        while true {
            switch node.kind {
            case "ImplicitCastExpr", "CStyleCastExpr", "ParenExpr":
                guard let inner = node.expressionChildren.last else { return nil }
                node = inner
            case "UnaryOperator" where node.opcode == "&":
                guard let inner = node.expressionChildren.first else { return nil }
                node = inner
            case "DeclRefExpr":
                return node.referencedDecl?.id
            default:
                return nil
            }
        }
    }
}
