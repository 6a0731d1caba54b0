// bcc's network tables and their methods, and the program types network
// contexts name: the part of the dialect issue 14 adds. DialectRewriter
// calls in here from its table macros, its method calls and its function
// definitions.

extension RewritePass {
    // MARK: - Table macros

    /// BPF_LPM_TRIE, BPF_DEVMAP, BPF_CPUMAP, BPF_XSKMAP, BPF_SOCKMAP,
    /// BPF_SOCKHASH, BPF_ARRAY_OF_MAPS and BPF_HASH_OF_MAPS with bcc's
    /// defaults; nil for other macros (or after reporting bad arguments).
    mutating func networkTable(macro: String, args: [String], at index: Int, line: Int) -> TableDefinition? {
        func argument(_ i: Int, _ fallback: String) -> String { i < args.count && !args[i].isEmpty ? args[i] : fallback }
        let name = argument(0, "")
        switch macro {
        case "BPF_LPM_TRIE":
            // The kernel needs BPF_F_NO_PREALLOC for tries; bcc's macro sets it.
            return TableDefinition(name: name, kind: .lpmTrie, keyType: argument(1, "u64"), leafType: argument(2, "u64"),
                                   maxEntries: argument(3, "10240"), line: line, flags: "BPF_F_NO_PREALLOC")
        case "BPF_DEVMAP", "BPF_CPUMAP", "BPF_SOCKMAP":
            guard args.count == 2 else {
                report(at: tokens[index].start, "\(macro)(name, max_entries) takes 2 arguments, got \(args.count)")
                return nil
            }
            let kind: TableDefinition.Kind = macro == "BPF_DEVMAP" ? .devMap : macro == "BPF_CPUMAP" ? .cpuMap : .sockMap
            return TableDefinition(name: name, kind: kind, keyType: "u32", leafType: "u32", maxEntries: args[1], line: line)
        case "BPF_XSKMAP":
            guard args.count == 2 else {
                report(at: tokens[index].start, args.count == 3
                       ? "BPF_XSKMAP's pin path is not supported; declare BPF_XSKMAP(name, max_entries)"
                       : "BPF_XSKMAP(name, max_entries) takes 2 arguments, got \(args.count)")
                return nil
            }
            return TableDefinition(name: name, kind: .xskMap, keyType: "u32", leafType: "u32", maxEntries: args[1], line: line)
        case "BPF_SOCKHASH":
            return TableDefinition(name: name, kind: .sockHash, keyType: argument(1, "u32"), leafType: "u32",
                                   maxEntries: argument(2, "10240"), line: line)
        case "BPF_ARRAY_OF_MAPS", "BPF_HASH_OF_MAPS":
            // BPF_ARRAY_OF_MAPS(name, "inner", size); BPF_HASH_OF_MAPS(name, [key_type,] "inner", size).
            let keyed = macro == "BPF_HASH_OF_MAPS" && args.count == 4
            guard args.count == 3 || keyed else {
                report(at: tokens[index].start, macro == "BPF_ARRAY_OF_MAPS"
                       ? "BPF_ARRAY_OF_MAPS(name, \"inner_table\", max_entries) takes 3 arguments, got \(args.count)"
                       : "BPF_HASH_OF_MAPS(name, key_type, \"inner_table\", max_entries) takes 4 arguments, got \(args.count)")
                return nil
            }
            let inner = args[keyed ? 2 : 1].trimming("\"")
            guard let innerTable = tables[inner] else {
                report(at: tokens[index].start, "\(macro) '\(name)': inner table '\(inner)' is not declared before it")
                return nil
            }
            guard !innerTable.kind.holdsMaps, innerTable.kind != .programArray else {
                report(at: tokens[index].start, "\(macro) '\(name)': inner table '\(inner)' cannot be a \(innerTable.mapType)")
                return nil
            }
            var table = TableDefinition(name: name, kind: macro == "BPF_ARRAY_OF_MAPS" ? .arrayOfMaps : .hashOfMaps,
                                        keyType: keyed ? args[1] : "int", leafType: "u32", maxEntries: args[keyed ? 3 : 2], line: line)
            table.innerTable = inner
            return table
        default:
            return nil
        }
    }

    /// A map-in-map table made by BPF_TABLE needs the inner table the macros name.
    mutating func checkNetworkTable(_ table: TableDefinition, at index: Int) -> Bool {
        guard table.kind.holdsMaps, table.innerTable == nil else { return true }
        report(at: tokens[index].start, "table '\(table.name)' holds maps: declare it with BPF_ARRAY_OF_MAPS or BPF_HASH_OF_MAPS, which name the inner table")
        return false
    }

    // MARK: - Methods

    /// The network methods and their argument counts.
    static let networkMethods: [String: Int] = [
        "redirect_map": 2, "sock_hash_update": 3, "sock_map_update": 3, "msg_redirect_hash": 3,
        "sk_redirect_hash": 3, "msg_redirect_map": 3, "sk_redirect_map": 3, "perf_submit_skb": 4,
    ]

    /// The table kinds each network method needs.
    private static let networkMethodTables: [String: [TableDefinition.Kind]] = [
        "redirect_map": [.devMap, .cpuMap, .xskMap], "sock_hash_update": [.sockHash], "msg_redirect_hash": [.sockHash],
        "sk_redirect_hash": [.sockHash], "sock_map_update": [.sockMap], "msg_redirect_map": [.sockMap],
        "sk_redirect_map": [.sockMap], "perf_submit_skb": [.perfOutput],
    ]

    /// `table.method(args)` for the network methods, and `lookup` on a
    /// map-in-map table (it returns the inner map, a `void *`); nil for
    /// everything else.
    mutating func networkMethodCall(table: TableDefinition, method: String, arguments: [Range<Int>], at index: Int,
                                    edit: ([Piece]) -> Edit) -> Edit? {
        let start = tokens[index].start
        let map = "(void *)&\(table.name)"
        func t(_ text: String) -> Piece { .text(text, anchor: start) }
        func arg(_ i: Int) -> Piece { .tokens(arguments[i]) }
        if method == "lookup" && table.kind.holdsMaps && arguments.count == 1 {
            return edit([t("((void *)bpf_map_lookup_elem(\(map), "), arg(0), t("))")])
        }
        guard let count = Self.networkMethods[method] else { return nil }
        guard arguments.count == count else {
            report(at: tokens[index + 2].start, "\(table.name).\(method) takes \(count) arguments, got \(arguments.count)")
            return edit([t("0")])
        }
        if let kinds = Self.networkMethodTables[method], !kinds.contains(table.kind) {
            let names = kinds.map(\.macroName).joined(separator: " or ")
            report(at: tokens[index + 2].start, "\(method) needs a \(names) table; '\(table.name)' is not one")
            return edit([t("0")])
        }
        switch method {
        case "redirect_map":
            return edit([t("bpf_redirect_map(\(map), "), arg(0), t(", "), arg(1), t(")")])
        case "perf_submit_skb":
            // bcc: the packet's first packet_size bytes follow the record (the size goes in the flags' high 32 bits).
            recordEventType(table: table.name, argument: arguments[2])
            return edit([t("bpf_perf_event_output("), arg(0), t(", \(map), ((u64)("), arg(1), t(") << 32) | BPF_F_CURRENT_CPU, "),
                         arg(2), t(", "), arg(3), t(")")])
        default:
            // sock_hash_update(skops, &key, flags) -> bpf_sock_hash_update(skops, &map, &key, flags), and alike.
            return edit([t("bpf_\(method)("), arg(0), t(", \(map), "), arg(1), t(", "), arg(2), t(")")])
        }
    }

    // MARK: - Program types from the context

    /// The section for a function whose first parameter is a network
    /// context, and whether its type waits for the attach: a `struct
    /// __sk_buff *` program is a socket filter, tc classifier, sk_skb or flow
    /// dissector program by how it is attached (bcc's load_func), so it is
    /// loaded then. Nil for other contexts.
    static func networkSection(forContext parameter: String) -> (section: String, loadsOnAttach: Bool)? {
        let words = parameter.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
        guard let structIndex = words.firstIndex(of: "struct"), structIndex + 1 < words.count else { return nil }
        switch words[structIndex + 1] {
        case "xdp_md": return ("xdp", false)
        case "__sk_buff": return ("socket", true)
        case "sk_msg_md": return ("sk_msg", false)
        case "sk_reuseport_md": return ("sk_reuseport", false)
        case "bpf_sock_ops": return ("sockops", false)
        default: return nil
        }
    }
}

extension TableDefinition.Kind {
    /// True for the map-in-map kinds.
    var holdsMaps: Bool { self == .arrayOfMaps || self == .hashOfMaps }

    /// The macro that declares the kind, for messages.
    var macroName: String {
        switch self {
        case .devMap: return "BPF_DEVMAP"
        case .cpuMap: return "BPF_CPUMAP"
        case .xskMap: return "BPF_XSKMAP"
        case .sockMap: return "BPF_SOCKMAP"
        case .sockHash: return "BPF_SOCKHASH"
        case .perfOutput: return "BPF_PERF_OUTPUT"
        case .lpmTrie: return "BPF_LPM_TRIE"
        case .perfArray: return "BPF_PERF_ARRAY"
        case .queue: return "BPF_QUEUE"
        case .stack: return "BPF_STACK"
        case .cgroupArray: return "BPF_CGROUP_ARRAY"
        case .skStorage: return "BPF_SK_STORAGE"
        case .inodeStorage: return "BPF_INODE_STORAGE"
        case .taskStorage: return "BPF_TASK_STORAGE"
        case .cgroupStorage: return "BPF_CGROUP_STORAGE"
        case .perCPUCgroupStorage: return "BPF_PERCPU_CGROUP_STORAGE"
        default: return "BPF_TABLE(\"\(rawValue)\")"
        }
    }
}
