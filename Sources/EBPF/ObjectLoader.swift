import BPFObject
import BTF

// MARK: - BPFObjectLoader

/// Loads a clang-built BPF object into the kernel: its BTF, its maps (global
/// data sections included, `.rodata` frozen) and its programs, with map
/// references patched and func_info / line_info attached so verifier
/// messages name source lines.
///
/// Global variables can be set before loading, like a libbpf skeleton's
/// `rodata` (the verifier then sees the constant and prunes dead branches):
///
///     let loader = try BPFObjectLoader(path: "minimal.bpf.o")
///     try loader.setGlobal("target_pid", to: UInt32(getpid()))
///     let object = try loader.load()
///     defer { object.close() }
///     let program = object.programs["handle_exec"]!
public final class BPFObjectLoader {
    /// The decoded object.
    public let spec: ObjectSpec
    /// Verifier log level for successful loads (0: none; failures always carry the log).
    public var logLevel: UInt32 = 0
    /// Initial contents of the global data maps, by section, with `setGlobal` applied.
    private var dataValues: [String: [UInt8]]
    /// Maps that already exist (pinned, or shared by another object), used
    /// instead of creating the object's map of the same name. Each loaded
    /// object holds its own descriptor of them.
    public var existingMaps: [String: Map] = [:]

    /// Loads from a decoded object.
    public init(spec: ObjectSpec) {
        self.spec = spec
        dataValues = Dictionary(spec.maps.compactMap { map in map.initialValue.map { (map.name, $0) } },
                                uniquingKeysWith: { first, _ in first })
    }

    /// Decodes the object in `bytes`; `name` labels errors.
    ///
    /// - Throws: ``BPFError/object(_:)`` with the object layer's error.
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws(BPFError) {
        do {
            self.init(spec: try ObjectSpec(bytes: bytes, name: name))
        } catch {
            throw .object(error)
        }
    }

    /// Reads and decodes the object file at `path`.
    public convenience init(path: String) throws(BPFError) {
        let bytes: [UInt8]
        do {
            bytes = try SysFile.readBytes(path)
        } catch {
            guard case .notFound = error else { throw error }
            throw .notFound(what: "BPF object file \(path)")
        }
        try self.init(bytes: bytes, name: path)
    }

    // MARK: Globals

    /// Sets global variable `name` (in `.rodata`, `.data` or `.bss`) to the
    /// bytes of `value` before the object is loaded. The value's size must be
    /// the variable's.
    public func setGlobal<T: BitwiseCopyable>(_ name: String, to value: T) throws(BPFError) {
        try setGlobal(name, bytes: withUnsafeBytes(of: value) { Array($0) })
    }

    /// Sets global variable `name` to `bytes` (exactly the variable's size) before load.
    public func setGlobal(_ name: String, bytes: [UInt8]) throws(BPFError) {
        guard let variable = spec.variable(named: name) else {
            throw BPFError.notFound(what: "global variable '\(name)' in \(spec.name)")
        }
        guard bytes.count == variable.size else {
            throw BPFError.invalidArgument(operation: "set global", object: "variable '\(name)' in \(spec.name)",
                                           detail: "the variable is \(variable.size) bytes, the value \(bytes.count)")
        }
        guard var value = dataValues[variable.section], variable.offset + variable.size <= value.count else {
            throw BPFError.malformed(what: "variable '\(name)' in \(spec.name)",
                                     detail: "section \(variable.section) does not hold it")
        }
        value.replaceSubrange(variable.offset..<(variable.offset + variable.size), with: bytes)
        dataValues[variable.section] = value
    }

    // MARK: Loading

    /// Creates the maps and loads every program but those named in
    /// `deferred`, which `LoadedObject.loadProgram(named:type:expectedAttachType:)`
    /// loads later with the type their attachment needs (a `struct __sk_buff *`
    /// program is a socket filter or a tc classifier by how it is attached).
    /// On failure everything created so far is closed before the error is thrown.
    public func load(deferring deferred: Set<String> = []) throws(BPFError) -> LoadedObject {
        var parts = LoadedObject.Parts()
        do {
            try load(into: &parts, deferring: deferred)
        } catch {
            parts.close()
            throw error
        }
        return LoadedObject(spec: spec, parts: parts, logLevel: logLevel)
    }

    private func load(into object: inout LoadedObject.Parts, deferring deferred: Set<String>) throws(BPFError) {
        if let btf = spec.btf {
            object.btf = try Syscall.btfLoad(btf.bytes, object: "BTF of \(spec.name)")
        }
        for mapSpec in spec.maps {
            if let existing = existingMaps[mapSpec.name] {
                object.maps[mapSpec.name] = try reuse(existing, for: mapSpec)
            } else {
                object.maps[mapSpec.name] = try createMap(mapSpec, btf: object.btf)
            }
        }
        if let btf = spec.btf, spec.programs.contains(where: { !$0.coreRelocations.isEmpty }) {
            let kernel = try KernelBTF.shared()
            do {
                try CORECheck.verify(spec.programs, local: btf, target: kernel, object: spec.name)
            } catch {
                throw .object(error)
            }
        }
        for programSpec in spec.programs where !deferred.contains(programSpec.name) {
            object.programs[programSpec.name] = try Self.loadProgram(
                programSpec, type: programSpec.section.programType, expectedAttachType: programSpec.section.expectedAttachType,
                maps: object.maps, btf: object.btf, logLevel: logLevel)
        }
    }

    /// A descriptor of `map` for the object's map `spec`, which must declare
    /// the same type and sizes.
    private func reuse(_ map: Map, for spec: MapSpec) throws(BPFError) -> Map {
        var maxEntries = spec.maxEntries
        if spec.type == .perfEventArray && maxEntries == 0 { maxEntries = try PossibleCPUs.count() }
        guard map.type == spec.type, map.keySize == spec.keySize, map.valueSize == spec.valueSize, map.maxEntries == maxEntries else {
            throw .invalidArgument(
                operation: "reuse", object: "\(map.objectName) for map '\(spec.name)' of \(self.spec.name)",
                detail: "the existing map is a \(map.type) of key \(map.keySize) B, value \(map.valueSize) B, \(map.maxEntries) entries; "
                    + "the object declares a \(spec.type) of key \(spec.keySize) B, value \(spec.valueSize) B, \(maxEntries) entries")
        }
        return try map.duplicate()
    }

    private func createMap(_ spec: MapSpec, btf: OwnedFD?) throws(BPFError) -> Map {
        let type = spec.type
        var maxEntries = spec.maxEntries
        if type == .perfEventArray && maxEntries == 0 { maxEntries = try PossibleCPUs.count() }
        let typeIDs = btf.flatMap { fd in
            (spec.keyTypeID != .void || spec.valueTypeID != .void) && !Self.mapTypesWithoutBTF.contains(type)
                ? (fd: fd, keyTypeID: spec.keyTypeID, valueTypeID: spec.valueTypeID) : nil
        }
        // Map-in-map: the kernel takes the inner maps' shape from a template map, needed only during the create.
        let template = try spec.innerMap.map { (inner) throws(BPFError) in
            try Map(type: inner.type, name: String(inner.name.prefix(15)), keySize: inner.keySize, valueSize: inner.valueSize,
                    maxEntries: inner.maxEntries, flags: inner.flags)
        }
        defer { template?.close() }
        let map = try Map(type: type, name: spec.name, keySize: spec.keySize, valueSize: spec.valueSize,
                          maxEntries: maxEntries, flags: spec.flags, btf: typeIDs, innerMap: template)
        do {
            if let value = dataValues[spec.name], spec.isGlobalData {
                try map.update(key: [0, 0, 0, 0], value: value)
                if spec.freezeAfterLoad { try map.freeze() }
            }
        } catch {
            map.close()
            throw error
        }
        return map
    }

    /// Map types the kernel creates only without BTF key and value types
    /// (their values are descriptors, sockets or CPU slots; libbpf leaves the
    /// ids off for the same types). The object's BTF still describes the keys.
    static let mapTypesWithoutBTF: Set<MapType> = [
        .perfEventArray, .cgroupArray, .stackTrace, .arrayOfMaps, .hashOfMaps, .devMap, .devMapHash,
        .cpuMap, .xskMap, .sockMap, .sockHash, .queue, .stack, .programArray,
    ]

    /// Loads program `spec` as `type` with its map references patched and its func and line info.
    static func loadProgram(_ spec: ProgramSpec, type: ProgramType, expectedAttachType: AttachType?, maps: [String: Map],
                            btf: OwnedFD?, logLevel: UInt32) throws(BPFError) -> Program {
        var instructions = spec.instructions
        for reference in spec.mapReferences {
            guard let map = maps[reference.mapName] else {
                throw BPFError.notFound(what: "map '\(reference.mapName)' used by program '\(spec.name)'")
            }
            let at = reference.instructionIndex
            instructions[at].source = reference.valueOffset == nil ? Opcode.pseudoMapFD : Opcode.pseudoMapValue
            instructions[at].immediate = map.fd.rawValue
            instructions[at + 1].immediate = Int32(truncatingIfNeeded: reference.valueOffset ?? 0)
        }
        let programBTF = btf.map { fd in
            ProgramBTF(fd: fd, funcInfo: spec.functionInfo.flatMap { record in
                littleEndianBytes(UInt32(record.instructionIndex)) + littleEndianBytes(record.typeID.rawValue)
            }, lineInfo: spec.lineInfo.flatMap { record in
                littleEndianBytes(UInt32(record.instructionIndex)) + littleEndianBytes(record.fileNameOffset)
                    + littleEndianBytes(record.lineOffset) + littleEndianBytes(record.lineColumn)
            })
        }
        return try Program(type: type, instructions: instructions, license: spec.license, name: spec.name,
                           expectedAttachType: expectedAttachType,
                           attachBTFID: try attachBTFID(spec), btf: programBTF, logLevel: logLevel)
    }

    /// The kernel BTF id tp_btf, fentry and fexit programs name at load time.
    /// fentry and fexit first check that the kernel runs BPF trampolines, so
    /// a kernel that forbids them gives `.notSupported`, not EPERM.
    private static func attachBTFID(_ spec: ProgramSpec) throws(BPFError) -> BTFTypeID {
        if let target = spec.section.iteratorTarget {
            // An iterator names its target by the kernel function bpf_iter_TARGET (no trampoline runs it).
            return try TracingLink.btfID(ofFunction: "bpf_iter_" + target)
        }
        switch spec.section.attachTarget {
        case let .btfTracepoint(event):
            return try TracingLink.btfID(ofTracepoint: event)
        case let .tracing(function, _):
            try TracingLink.requireTrampolines()
            return try TracingLink.btfID(ofFunction: function)
        case let .lsm(hook):
            // BPF LSM programs run through trampolines too.
            try TracingLink.requireTrampolines()
            return try TracingLink.btfID(ofFunction: "bpf_lsm_" + hook)
        default:
            return .void
        }
    }
}

private func littleEndianBytes(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
     UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
}
