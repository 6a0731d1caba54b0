// What can be traced, with bcc's static discovery calls: find_library,
// get_tracepoints, get_user_functions_and_addresses, get_kprobe_functions.
import BTF
import EBPF
import ELF

extension BPF {
    /// The file `name` stands for (bcc's `BPF.find_library` and `find_exe`): a
    /// path, a library name such as "c" or "pthread" (looked up in `pid`'s
    /// memory map, then ld.so.cache), or an executable on PATH.
    ///
    /// - Throws: ``BCCError/file(path:detail:)`` saying where it looked.
    public static func findBinary(_ name: String, pid: Int32? = nil) throws(BCCError) -> String {
        do {
            return try BinaryPath.resolve(name, pid: pid)
        } catch {
            throw .file(path: name, detail: "\(error)")
        }
    }

    /// The tracepoints whose `category:event` `matches` accepts (bcc's
    /// `BPF.get_tracepoints`), in tracefs order.
    public static func tracepoints(matching matches: (String) -> Bool) throws(BCCError) -> [String] {
        do {
            return try Tracefs.events().map { "\($0.category):\($0.name)" }.filter(matches)
        } catch {
            throw .kernel(operation: "list tracepoints", object: "tracefs available_events", cause: error)
        }
    }

    /// The tracepoint categories (tracefs's events directories), sorted.
    public static func tracepointCategories() throws(BCCError) -> Set<String> {
        do {
            return Set(try Tracefs.events().map(\.category))
        } catch {
            throw .kernel(operation: "list tracepoints", object: "tracefs available_events", cause: error)
        }
    }

    /// The fields of tracepoint `category:event` (without the common_ ones),
    /// each as its format file declares it (`const char * filename`).
    public static func tracepointFields(_ tracepoint: String) throws(BCCError) -> [String] {
        let parts = tracepoint.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw .invalidUse(object: "tracepoint '\(tracepoint)'", detail: "expected category:event")
        }
        do {
            return try Tracefs.eventFormat(category: parts[0], name: parts[1]).eventFields.map(\.declaration)
        } catch {
            throw .kernel(operation: "read the format of", object: "tracepoint \(tracepoint)", cause: error)
        }
    }

    /// The raw tracepoints the kernel's BTF describes (its `btf_trace_NAME`
    /// typedefs) whose names `matches` accepts, sorted.
    public static func rawTracepoints(matching matches: (String) -> Bool) throws(BCCError) -> [String] {
        let btf: BTF
        do {
            btf = try KernelBTF.shared()
        } catch {
            throw .file(path: KernelBTF.path, detail: "\(error)")
        }
        return btf.types(ofKind: .typedef).compactMap { type in
            let typedef = btf.name(of: type.id)
            guard typedef.hasPrefix("btf_trace_") else { return nil }
            let name = String(typedef.dropFirst("btf_trace_".count))
            return matches(name) ? name : nil
        }.sorted()
    }

    /// The functions of `binary` (a path) whose names `matches` accepts, with
    /// their addresses (bcc's `get_user_functions_and_addresses`): defined
    /// function symbols of .symtab and .dynsym, one name per address (aliases
    /// such as `__libc_malloc` and `malloc` would otherwise probe twice).
    public static func userFunctions(in binary: String, matching matches: (String) -> Bool) throws(BCCError) -> [(name: String, address: UInt64)] {
        let file: ELFFile
        do {
            file = try ELFFile(contentsOf: binary)
        } catch {
            throw .file(path: binary, detail: "\(error)")
        }
        var seenAddresses = Set<UInt64>()
        var seenNames = Set<String>()
        var functions: [(name: String, address: UInt64)] = []
        let symbols = ((try? file.symbols()) ?? []) + ((try? file.dynamicSymbols()) ?? [])
        for symbol in symbols where symbol.type == ELFSymbol.Kind.function && symbol.isDefined && symbol.value != 0 {
            guard matches(symbol.name), !seenNames.contains(symbol.name), seenAddresses.insert(symbol.value).inserted else { continue }
            seenNames.insert(symbol.name)
            functions.append((symbol.name, symbol.value))
        }
        return functions
    }

    /// The kernel functions whose names `matches` accepts (bcc's
    /// `get_kprobe_functions`), from /proc/kallsyms's text symbols, one per name.
    public static func kernelFunctions(matching matches: (String) -> Bool) throws(BCCError) -> [String] {
        let symbols: KernelSymbols
        do {
            symbols = try KernelSymbols.shared()
        } catch {
            throw .file(path: "/proc/kallsyms", detail: "\(error)")
        }
        var seen = Set<String>()
        return symbols.symbols.compactMap { symbol in
            guard matches(symbol.name), seen.insert(symbol.name).inserted else { return nil }
            return symbol.name
        }
    }
}

// MARK: - Kernel types

extension BPF {
    /// True when the running kernel's `struct structName` has a member
    /// named `field`, also inside its anonymous structs and unions (bcc's
    /// `BPF.kernel_struct_has_field`), for programs that must name a member
    /// a kernel version renamed (`cfs_rq.nr_running`, `nr_queued` since 6.14).
    ///
    /// - Throws: ``BCCError/kernel(operation:object:cause:)`` when the kernel has no BTF.
    public static func kernelStructHasField(_ structName: String, _ field: String) throws(BCCError) -> Bool {
        let btf = try BCCError.wrapping("read", KernelBTF.path) { try KernelBTF.shared() }
        guard let type = btf.firstType(named: structName, kind: .struct) else { return false }
        func has(_ id: BTFTypeID, depth: Int) -> Bool {
            btf.members(of: id).contains { member in
                if member.name == field { return true }
                guard member.name.isEmpty, depth < 8 else { return false }
                return has(btf.resolved(member.type), depth: depth + 1)
            }
        }
        return has(type.id, depth: 0)
    }

    /// The enumerators of the running kernel's `enum enumName`, by name
    /// (empty when the kernel has no such enum), for tools that print a
    /// kernel enum's names (`enum skb_drop_reason` in tcpdrop).
    ///
    /// - Throws: ``BCCError/kernel(operation:object:cause:)`` when the kernel has no BTF.
    public static func kernelEnumerators(_ enumName: String) throws(BCCError) -> [String: Int64] {
        let btf = try BCCError.wrapping("read", KernelBTF.path) { try KernelBTF.shared() }
        let id = btf.firstType(named: enumName, kind: .enum)?.id ?? btf.firstType(named: enumName, kind: .enum64)?.id
        guard let id else { return [:] }
        var values: [String: Int64] = [:]
        for value in btf.enumValues(of: id) { values[value.name] = Int64(bitPattern: value.bits) }
        return values
    }
}
