// Names for the frames of build-id stacks (BPF_STACK_TRACE_BUILDID), from
// ELF files the user names (bcc's BPF.add_module and its buildsym cache):
// the process need not be alive, nor the files at the paths it used.
import ELF

/// Symbol files found by their GNU build id.
public final class BuildIDSymbols: Sendable {
    private let files: [String: FileSymbols]

    /// Reads the build id and function symbols of each file at `paths`.
    ///
    /// - Throws: ``BCCError/file(path:detail:)`` for a file that cannot be
    ///   read, is not ELF or has no build id.
    public init(paths: [String]) throws(BCCError) {
        var files: [String: FileSymbols] = [:]
        for path in paths {
            let buildID: [UInt8]?
            do {
                buildID = try ELFFile(contentsOf: path).buildID()
            } catch {
                throw .file(path: path, detail: "\(error)")
            }
            guard let buildID else { throw .file(path: path, detail: "has no GNU build id note") }
            files[StackBuildIDFrame.hex(buildID)] = try FileSymbols(path: path)
        }
        self.files = files
    }

    /// bcc's `BPF.sym` of a build-id frame: `name+0xoff [file]` from the file
    /// with the frame's build id; a frame the kernel gave only an address
    /// for is resolved in process `pid` (-1: the kernel's symbols).
    public func sym(_ frame: StackBuildIDFrame, pid: Int32, showModule: Bool = false, showOffset: Bool = false) -> String {
        guard frame.status == .valid else {
            return pid < 0 ? BPF.ksym(frame.offset, showModule: showModule, showOffset: showOffset)
                : BPF.sym(frame.offset, pid: pid, showModule: showModule, showOffset: showOffset)
        }
        guard let symbols = files[frame.buildIDHex] else {
            return SymbolFormat.format(name: nil, offset: frame.offset, module: nil, showModule: false, showOffset: false)
        }
        let function = symbols.virtualAddress(ofFileOffset: frame.offset).flatMap(symbols.resolve(virtualAddress:))
        return SymbolFormat.format(name: function.map { SymbolDemangler.demangle($0.name) }, offset: function?.offset ?? frame.offset,
                                   module: symbols.path, showModule: showModule, showOffset: showOffset)
    }
}
