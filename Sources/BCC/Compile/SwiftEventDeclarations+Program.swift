import BPFObject
import BTF

extension SwiftEventDeclarations {
    /// Declarations for a bcc program's event structs: compiles `srcFile`
    /// (without loading it) and reads the types the front end recorded for
    /// its output tables, or the types named in `typeNames`.
    public static func forProgram(srcFile: String, cflags: [String] = [], typeNames: [String] = []) throws -> SwiftEventDeclarations {
        guard let data = FileSystem.contents(srcFile) else {
            throw BCCError.file(path: srcFile, detail: "cannot read the BPF program")
        }
        let directory = FileSystem.directory(of: FileSystem.absolute(srcFile))
        let compiled = try BPFCompiler(environment: KernelCompileEnvironment.current()).compile(
            source: String(decoding: data, as: UTF8.self), fileName: srcFile, cflags: cflags, includeDirectory: directory)
        var declarations = try forObject(compiled.object, path: srcFile, typeNames: typeNames)
        declarations.origin = FileSystem.lastComponent(of: srcFile)
        return declarations
    }

    /// Declarations for the event structs of a BPF ELF object (its `.BTF`
    /// section) or of a raw BTF blob.
    public static func forObject(_ bytes: [UInt8], path: String, typeNames: [String] = []) throws -> SwiftEventDeclarations {
        let btf: BTF
        if bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]) {
            let spec: ObjectSpec
            do { spec = try ObjectSpec(bytes: bytes, name: path) } catch { throw BCCError.file(path: path, detail: "\(error)") }
            guard let objectBTF = spec.btf else {
                throw BCCError.file(path: path, detail: "the object has no .BTF section (compile with -g)")
            }
            btf = objectBTF
        } else {
            do { btf = try BTF(bytes: bytes) } catch { throw BCCError.file(path: path, detail: "\(error)") }
        }
        let roots: [BTFTypeID]
        if typeNames.isEmpty {
            roots = EventTypes.recordedTables(in: btf).map(\.type)
            guard !roots.isEmpty else {
                throw BCCError.file(
                    path: path,
                    detail: "no event structs recorded (no ringbuf_output, ringbuf_submit or perf_submit of a struct); name them with --type")
            }
        } else {
            roots = try typeNames.map { name throws(EventDecodingError) in
                guard let id = EventTypes.find(name, in: btf) else { throw .typeNotFound(name: name) }
                return id
            }
        }
        var declarations = SwiftEventDeclarations(btf: btf, roots: roots)
        declarations.origin = FileSystem.lastComponent(of: path)
        return declarations
    }
}
