// bcc's queue, stack, cgroup array and local storage tables, their methods,
// and the perf array's counter reads: helpers.h's BPF_QUEUE, BPF_STACK,
// BPF_CGROUP_ARRAY, BPF_SK/INODE/TASK_STORAGE, BPF_(PERCPU_)CGROUP_STORAGE
// and what bcc's frontend turns `table.push(...)`, `table.perf_read(...)`,
// ... into. DialectRewriter calls in here from its table macros and calls.

extension RewritePass {
    // MARK: - Table macros

    /// The storage table macros with bcc's arguments and defaults; nil for
    /// other macros (or after reporting bad arguments).
    mutating func storageTable(macro: String, args: [String], at index: Int, line: Int) -> TableDefinition? {
        let name = args.first ?? ""
        switch macro {
        case "BPF_QUEUE", "BPF_STACK":
            // BPF_QUEUE(name, leaf_type, max_entries[, flags]).
            guard args.count == 3 || args.count == 4 else {
                report(at: tokens[index].start, "\(macro)(name, leaf_type, max_entries[, flags]) takes 3 or 4 arguments, got \(args.count)")
                return nil
            }
            return TableDefinition(name: name, kind: macro == "BPF_QUEUE" ? .queue : .stack, keyType: "void", leafType: args[1],
                                   maxEntries: args[2], line: line, flags: args.count == 4 ? args[3] : nil)
        case "BPF_CGROUP_ARRAY":
            guard args.count == 2 else {
                report(at: tokens[index].start, "BPF_CGROUP_ARRAY(name, max_entries) takes 2 arguments, got \(args.count)")
                return nil
            }
            return TableDefinition(name: name, kind: .cgroupArray, keyType: "int", leafType: "u32", maxEntries: args[1], line: line)
        case "BPF_SK_STORAGE", "BPF_INODE_STORAGE", "BPF_TASK_STORAGE":
            guard args.count == 2 else {
                report(at: tokens[index].start, "\(macro)(name, leaf_type) takes 2 arguments, got \(args.count)")
                return nil
            }
            let kind: TableDefinition.Kind = macro == "BPF_SK_STORAGE" ? .skStorage : macro == "BPF_INODE_STORAGE" ? .inodeStorage : .taskStorage
            // The kernel needs BPF_F_NO_PREALLOC for local storage; bcc's macros set it.
            return TableDefinition(name: name, kind: kind, keyType: "int", leafType: args[1], maxEntries: "0", line: line,
                                   flags: "BPF_F_NO_PREALLOC")
        case "BPF_CGROUP_STORAGE", "BPF_PERCPU_CGROUP_STORAGE":
            guard args.count == 2 else {
                report(at: tokens[index].start, "\(macro)(name, leaf_type) takes 2 arguments, got \(args.count)")
                return nil
            }
            return TableDefinition(name: name, kind: macro == "BPF_CGROUP_STORAGE" ? .cgroupStorage : .perCPUCgroupStorage,
                                   keyType: "struct bpf_cgroup_storage_key", leafType: args[1], maxEntries: "0", line: line)
        default:
            return nil
        }
    }

    // MARK: - Methods

    /// Each method: its argument count, the tables it works on, and the
    /// helper it calls with the table inserted as the first argument.
    private static let storageMethods: [String: (arguments: Int, kinds: [TableDefinition.Kind], helper: String)] = [
        "push": (2, [.queue, .stack], "bpf_map_push_elem"),
        "pop": (1, [.queue, .stack], "bpf_map_pop_elem"),
        "peek": (1, [.queue, .stack], "bpf_map_peek_elem"),
        "check_current_task": (1, [.cgroupArray], "bpf_current_task_under_cgroup"),
        "sk_storage_get": (3, [.skStorage], "bpf_sk_storage_get"),
        "sk_storage_delete": (1, [.skStorage], "bpf_sk_storage_delete"),
        "inode_storage_get": (3, [.inodeStorage], "bpf_inode_storage_get"),
        "inode_storage_delete": (1, [.inodeStorage], "bpf_inode_storage_delete"),
        "task_storage_get": (3, [.taskStorage], "bpf_task_storage_get"),
        "task_storage_delete": (1, [.taskStorage], "bpf_task_storage_delete"),
        "get_local_storage": (1, [.cgroupStorage, .perCPUCgroupStorage], "bpf_get_local_storage"),
        "perf_read": (1, [.perfArray], "bpf_perf_event_read"),
        "perf_counter_value": (3, [.perfArray], "bpf_perf_event_read_value"),
    ]

    /// The names of the methods above, for the rewriter's list of methods.
    static var storageMethodNames: Set<String> { Set(storageMethods.keys) }

    /// `table.method(args)` for the methods above: the helper with `&table`
    /// first, as bcc writes it; nil for other methods.
    mutating func storageMethodCall(table: TableDefinition, method: String, arguments: [Range<Int>], at index: Int,
                                    edit: ([Piece]) -> Edit) -> Edit? {
        guard let (count, kinds, helper) = Self.storageMethods[method] else { return nil }
        let start = tokens[index].start
        func t(_ text: String) -> Piece { .text(text, anchor: start) }
        guard arguments.count == count else {
            report(at: tokens[index + 2].start, "\(table.name).\(method) takes \(count) argument\(count == 1 ? "" : "s"), got \(arguments.count)")
            return edit([t("0")])
        }
        guard kinds.contains(table.kind) else {
            let names = kinds.map(\.macroName).joined(separator: " or ")
            report(at: tokens[index + 2].start, "\(method) needs a \(names) table; '\(table.name)' is not one")
            return edit([t("0")])
        }
        var pieces = [t("\(helper)((void *)&\(table.name)")]
        for argument in arguments { pieces += [t(", "), .tokens(argument)] }
        return edit(pieces + [t(")")])
    }

    // MARK: - bpf_num_cpus

    /// `bpf_num_cpus()`, which bcc replaces by the number of CPUs at compile
    /// time: the possible CPUs here (bcc counts the online ones; they differ
    /// only while CPUs are offline). Nil when the name is not that call.
    func numberOfCPUsCall(at index: Int) -> Edit? {
        guard index + 2 < tokens.count, tokenizer.matches(tokens[index + 1], "("), tokenizer.matches(tokens[index + 2], ")") else {
            return nil
        }
        if index > 0, tokenizer.matches(tokens[index - 1], ".") || tokenizer.matches(tokens[index - 1], "->") { return nil }
        return Edit(replacedStart: tokens[index].start, replacedEnd: tokens[index + 2].end,
                    pieces: [.text("\(options.possibleCPUs)", anchor: tokens[index].start)], nextToken: index + 3)
    }
}

extension TableDefinition.Kind {
    /// Local storage: values that live with a socket, inode, task or cgroup.
    var isLocalStorage: Bool {
        [.skStorage, .inodeStorage, .taskStorage, .cgroupStorage, .perCPUCgroupStorage].contains(self)
    }
}
