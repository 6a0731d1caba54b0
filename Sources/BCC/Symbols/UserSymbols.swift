// User-space addresses to names: /proc/PID/maps finds the file, the file's
// ELF symbols name the function. Files are read once per process lifetime.
import Synchronization

/// Names addresses in a process, as bcc's `BPF.sym` does.
public enum UserSymbols {
    /// A resolved address: the function (nil when none covers it), the offset
    /// into it, and the file it lives in (nil outside any mapped file).
    public struct Resolution: Hashable, Sendable {
        /// The function's symbol name.
        public var name: String?
        /// Offset from the function's start.
        public var offset: UInt64
        /// Path of the mapped file.
        public var module: String?
    }

    /// Symbol tables keyed by device, inode and path, shared by every process.
    private static let files = Mutex<[String: FileSymbols]>([:])
    /// Each process's maps, re-read when an address falls outside them.
    private static let maps = Mutex<[Int32: [ProcessMapping]]>([:])

    /// Resolves `address` in process `pid`.
    public static func resolve(_ address: UInt64, pid: Int32) -> Resolution {
        guard let mapping = mapping(containing: address, pid: pid) else {
            return Resolution(name: nil, offset: address, module: nil)
        }
        let fileOffset = address - mapping.start + mapping.fileOffset
        guard let symbols = symbols(for: mapping, pid: pid),
              let virtualAddress = symbols.virtualAddress(ofFileOffset: fileOffset),
              let function = symbols.resolve(virtualAddress: virtualAddress)
        else {
            return Resolution(name: nil, offset: fileOffset, module: mapping.path)
        }
        return Resolution(name: function.name, offset: function.offset, module: mapping.path)
    }

    /// bcc's `BPF.sym(addr, pid, show_module, show_offset, demangle)`:
    /// `name`, `name+0xoff` with `showOffset`, ` [file]` with `showModule`,
    /// and "[unknown]" when no symbol covers the address. With `demangle`,
    /// Swift symbols are shown demangled (bcc demangles C++ ones).
    public static func sym(_ address: UInt64, pid: Int32, showModule: Bool = false, showOffset: Bool = false,
                           demangle: Bool = true) -> String {
        let resolution = resolve(address, pid: pid)
        let name = demangle ? resolution.name.map(SymbolDemangler.demangle) : resolution.name
        return SymbolFormat.format(name: name, offset: resolution.offset, module: resolution.module,
                                   showModule: showModule, showOffset: showOffset)
    }

    private static func mapping(containing address: UInt64, pid: Int32) -> ProcessMapping? {
        func find(_ mappings: [ProcessMapping]) -> ProcessMapping? {
            mappings.first { $0.isExecutableFile && address >= $0.start && address < $0.end }
        }
        if let cached = maps.withLock({ $0[pid] }), let hit = find(cached) { return hit }
        // New libraries may have been mapped since the last read.
        guard let text = try? ProcFile.text("/proc/\(pid)/maps") else { return nil }
        let fresh = ProcessMapping.parse(text)
        maps.withLock { $0[pid] = fresh }
        return find(fresh)
    }

    private static func symbols(for mapping: ProcessMapping, pid: Int32) -> FileSymbols? {
        let key = "\(mapping.device) \(mapping.inode) \(mapping.path)"
        if let cached = files.withLock({ $0[key] }) { return cached }
        // Through /proc/PID/root the path means what it means inside the process's mount namespace.
        guard let loaded = (try? FileSymbols(path: "/proc/\(pid)/root\(mapping.path)"))
            ?? (try? FileSymbols(path: mapping.path))
        else { return nil }
        files.withLock { $0[key] = loaded }
        return loaded
    }
}
