// What can be traced, with bcc's static discovery calls: find_library,
// get_tracepoints, get_user_functions_and_addresses, get_kprobe_functions.
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
        } catch let error as BPFError {
            throw .kernel(operation: "list tracepoints", object: "tracefs available_events", cause: error)
        } catch {
            throw .file(path: "tracefs available_events", detail: "\(error)")
        }
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
