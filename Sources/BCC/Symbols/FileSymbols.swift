// The function symbols of one ELF file, for naming user-space addresses.
import ELF

/// The function symbols of an executable or shared object, sorted by address,
/// and its loadable segments for turning file offsets into symbol addresses.
public final class FileSymbols: Sendable {
    /// One function: where it starts (ELF virtual address), its size and name.
    public struct Function: Hashable, Sendable {
        /// `st_value`.
        public var start: UInt64
        /// `st_size` (0 when unknown).
        public var size: UInt64
        /// The symbol's name.
        public var name: String
    }

    /// The file the symbols came from.
    public let path: String
    /// Functions from `.symtab` and `.dynsym` (as bcc reads both), sorted by start.
    public let functions: [Function]
    private let segments: [ELFProgramHeader]

    /// Reads the function symbols of the ELF file at `path`.
    ///
    /// - Throws: ``BCCError/file(path:detail:)`` when it cannot be read or is not ELF.
    public init(path: String) throws(BCCError) {
        let file: ELFFile
        let symbols: [ELFSymbol]
        do {
            file = try ELFFile(contentsOf: path)
            symbols = try file.symbols() + file.dynamicSymbols()
        } catch {
            throw .file(path: path, detail: "\(error)")
        }
        self.path = path
        var seen = Set<Function>()
        var functions: [Function] = []
        for symbol in symbols
        where symbol.isDefined && symbol.value != 0 && !symbol.name.isEmpty
            && (symbol.type == ELFSymbol.Kind.function || symbol.type == ELFSymbol.Kind.indirectFunction) {
            let function = Function(start: symbol.value, size: symbol.size, name: symbol.name)
            if seen.insert(function).inserted { functions.append(function) }
        }
        self.functions = functions.sorted { ($0.start, $0.name) < ($1.start, $1.name) }
        segments = file.programHeaders.filter(\.isLoadable)
    }

    /// The ELF virtual address that file offset `offset` is loaded at, or nil
    /// when no loadable segment holds it.
    public func virtualAddress(ofFileOffset offset: UInt64) -> UInt64? {
        for segment in segments where offset >= segment.offset && offset - segment.offset < segment.fileSize {
            return offset - segment.offset + segment.virtualAddress
        }
        return nil
    }

    /// The function containing virtual address `address` and the offset into it.
    public func resolve(virtualAddress address: UInt64) -> (name: String, offset: UInt64)? {
        let low = functions.endOfRun(atOrBelow: address, address: \.start)
        // Walk back over a few candidates: a sized symbol may nest inside a larger one.
        var index = low - 1
        while index >= 0, index >= low - 16 {
            let function = functions[index]
            let offset = address - function.start
            if offset < function.size || offset == 0 { return (function.name, offset) }
            index -= 1
        }
        return nil
    }
}
