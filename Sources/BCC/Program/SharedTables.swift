import BPFObject
import EBPF
import Synchronization

// Maps shared beyond one BPF object: tables a program exports
// (BPF_TABLE_PUBLIC, BPF_TABLE_SHARED) are found by programs loaded later in
// the process (BPF_TABLE("extern", ...)), and pinned tables
// (BPF_TABLE_PINNED) are opened from, or pinned at, their path.

/// The tables the BPF objects of this process export, while they are open.
final class ExportedTables: Sendable {
    /// The process's registry.
    static let shared = ExportedTables()

    private struct Entry: Sendable {
        var definition: TableDefinition
        var map: Map
        var owner: ObjectIdentifier
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The exported tables' declarations, with their maps' real size and flags.
    func definitions() -> [String: TableDefinition] {
        entries.withLock { $0.mapValues(\.definition) }
    }

    /// The map exported as `name`.
    func map(named name: String) -> Map? {
        entries.withLock { $0[name]?.map }
    }

    /// Exports `map`, table `definition` of the object `owner`; a later export
    /// of the same name replaces it, as in bcc.
    func export(_ definition: TableDefinition, map: Map, owner: ObjectIdentifier) {
        var exported = definition
        exported.maxEntries = String(map.maxEntries)
        exported.flags = map.flags == 0 ? nil : String(map.flags)
        entries.withLock { $0[definition.name] = Entry(definition: exported, map: map, owner: owner) }
    }

    /// Withdraws every table `owner` exported (the object is closing).
    func withdraw(owner: ObjectIdentifier) {
        entries.withLock { entries in entries = entries.filter { $0.value.owner != owner } }
    }
}

/// What loading an object with shared tables needs before and after the load.
struct TableSharing {
    /// Pinned tables whose map the load creates, to pin afterwards.
    private var pinsToCreate: [(table: String, path: String)] = []
    /// Tables to export once loaded.
    private var exports: [TableDefinition] = []

    /// Points `loader` at the existing maps of imported tables and of pinned
    /// tables whose path holds a map.
    init(tables: [TableDefinition], loader: BPFObjectLoader, fileName: String) throws(BCCError) {
        for table in tables {
            switch table.sharing {
            case .none:
                break
            case .exported:
                exports.append(table)
            case .imported:
                guard let map = ExportedTables.shared.map(named: table.name) else {
                    throw BCCError.invalidUse(object: "extern table '\(table.name)' of \(fileName)",
                                              detail: "the program that exported it has been closed")
                }
                loader.existingMaps[table.name] = map
            case let .pinned(path):
                do {
                    loader.existingMaps[table.name] = try Map(pinnedAt: path)
                } catch BPFError.notFound {
                    pinsToCreate.append((table.name, path))
                } catch {
                    throw .kernel("open the pinned map of table '\(table.name)' at", path, error)
                }
            }
        }
    }

    /// Pins the maps created for pinned tables (making their directories) and
    /// exports the exported ones.
    func finish(_ object: LoadedObject, owner: ObjectIdentifier) throws(BCCError) {
        for (table, path) in pinsToCreate {
            guard let map = object.maps[table] else { continue }
            try FileSystem.createDirectories(FileSystem.directory(of: FileSystem.absolute(path)), for: "directory of pinned table '\(table)'")
            try BCCError.wrapping("pin table '\(table)' at", path) { try map.pin(at: path) }
        }
        for table in exports {
            guard let map = object.maps[table.name] else { continue }
            ExportedTables.shared.export(table, map: map, owner: owner)
        }
    }
}
