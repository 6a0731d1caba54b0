import EBPF
import ELF
import Synchronization

/// The USDT probes of a binary or of a process, and which BPF function each
/// enabled probe runs: bcc's `USDT(path=)` / `USDT(pid=)` and
/// `enable_probe(probe=, fn_name=)`.
///
///     let u = try USDT(pid: pid)
///     try u.enableProbe(probe: "function__entry", fnName: "on_entry")
///     let b = try BPF(text: program, usdtContexts: [u])
///
/// For a path, the probes fire in every process running the binary and
/// their semaphores are raised by the kernel (the uprobe's reference
/// counter). For a pid, they fire in that process only, from the executable
/// and every library it maps, and semaphores are raised in its memory
/// (/proc/PID/mem) on attach and lowered when the BPF object closes.
public final class USDT: Sendable {
    /// The process, for `USDT(pid:)`; nil for a path.
    public let pid: Int32?
    /// The binary, for `USDT(path:)`; the process's executable for a pid.
    public let binary: String
    /// Every probe found: by provider and name, each with its sites in every binary searched.
    public let probes: [USDTProbe]
    /// The binaries searched: the path, or every file the process maps executable code from.
    public let binaries: [String]

    private let enabled = Mutex<[EnabledProbe]>([])

    /// A probe and the function enabled on it.
    public struct EnabledProbe: Sendable, Equatable {
        /// The probe.
        public var probe: USDTProbe
        /// The BPF C function that runs at each of its sites.
        public var fnName: String
    }

    /// The probes of binary `path`: a path, a library name ("c" for libc, as
    /// in bcc) or an executable on PATH.
    ///
    /// - Throws: `BCCError.file` when the binary cannot be found or read, or
    ///   its notes are malformed.
    public init(path: String) throws(BCCError) {
        let resolved: String
        do {
            resolved = try BinaryPath.resolve(path)
        } catch {
            throw .file(path: path, detail: "no such binary or library for USDT probes (\(error))")
        }
        pid = nil
        binary = resolved
        binaries = [resolved]
        probes = USDTProbe.merge([(resolved, try Self.readProbes(resolved))])
    }

    /// The probes of process `pid`: those of its executable and of every
    /// library it has mapped.
    ///
    /// - Throws: `BCCError.file` when the process does not exist, or a mapped
    ///   binary's notes are malformed.
    public init(pid: Int32) throws(BCCError) {
        let process = USDTProcess(pid: pid)
        let files = try process.mappedBinaries()
        self.pid = pid
        binary = process.executable ?? files.first ?? "/proc/\(pid)/exe"
        binaries = files
        var found: [(String, [SDTProbe])] = []
        for file in files {
            // Files that vanished or are not ELF (a mapped font, a JIT's memfd) have no probes.
            guard let elf = try? ELFFile(contentsOf: process.pathInItsRoot(file)) else { continue }
            do {
                let probes = try elf.sdtProbes()
                if !probes.isEmpty { found.append((file, probes)) }
            } catch {
                throw .file(path: file, detail: "malformed USDT notes (mapped by process \(pid)): \(error)")
            }
        }
        probes = USDTProbe.merge(found)
    }

    private static func readProbes(_ path: String) throws(BCCError) -> [SDTProbe] {
        do {
            return try ELFFile(contentsOf: path).sdtProbes()
        } catch {
            throw .file(path: path, detail: "cannot read its USDT probes: \(error)")
        }
    }

    /// What the probes were searched in: "/path" or "process PID (/path/exe and N libraries)".
    public var searchedDescription: String {
        guard let pid else { return binary }
        return "process \(pid) (\(binary) and \(max(binaries.count - 1, 0)) other mapped file\(binaries.count == 2 ? "" : "s"))"
    }

    // MARK: - Enabling

    /// Runs function `fnName` of the BPF program at every site of `probe`
    /// ("name" or "provider:name") once the program is loaded with this
    /// context (`BPF(text:usdtContexts:)`).
    ///
    /// - Throws: `BCCError.usdtProbeNotFound` naming the binary and listing
    ///   its probes; `.invalidUse` when "name" fits probes of several
    ///   providers, when the probe is already enabled on `fnName`, or when a
    ///   site's argument specs cannot be read (naming the binary, probe and argument).
    public func enableProbe(probe: String, fnName: String) throws(BCCError) {
        let found = try find(probe)
        var counts = Set<Int>()
        for location in found.locations {
            do {
                counts.insert(try location.site.arguments().count)
            } catch {
                throw .invalidUse(object: "USDT probe \(found.qualifiedName)", detail: "\(error)")
            }
        }
        guard counts.count <= 1 else {
            throw .invalidUse(object: "USDT probe \(found.qualifiedName)",
                                      detail: "its sites disagree on the argument count (\(counts.sorted()))")
        }
        let added = enabled.withLock { enabled in
            guard !enabled.contains(where: { $0.probe == found && $0.fnName == fnName }) else { return false }
            enabled.append(EnabledProbe(probe: found, fnName: fnName))
            return true
        }
        guard added else {
            throw .invalidUse(object: "USDT probe \(found.qualifiedName)", detail: "is already enabled on function '\(fnName)'")
        }
    }

    /// The probes enabled so far, in order.
    public var enabledProbes: [EnabledProbe] { enabled.withLock { $0 } }

    /// The probe `name` ("name" or "provider:name") stands for.
    func find(_ name: String) throws(BCCError) -> USDTProbe {
        let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
        let matches = probes.filter { parts.count == 2 ? $0.provider == parts[0] && $0.name == parts[1] : $0.name == name }
        guard let first = matches.first else {
            throw .usdtProbeNotFound(probe: name, binary: searchedDescription, available: probes.map(\.qualifiedName))
        }
        guard matches.count == 1 else {
            throw .invalidUse(object: "USDT probe '\(name)'",
                                      detail: "is ambiguous in \(searchedDescription): \(matches.map(\.qualifiedName).joined(separator: ", ")); name it as provider:name")
        }
        return first
    }
}

// MARK: - Probes

/// A USDT probe: a provider and name, and its sites in every binary that has it.
public struct USDTProbe: Sendable, Equatable {
    /// The provider, e.g. "libc".
    public var provider: String
    /// The name, e.g. "setjmp".
    public var name: String
    /// Its sites.
    public var locations: [USDTLocation]

    /// "provider:name".
    public var qualifiedName: String { "\(provider):\(name)" }

    /// How many arguments the probe has (nil when its specs cannot be read).
    public var argumentCount: Int? { try? locations.first?.site.arguments().count }

    /// Probes of several binaries, merged by provider and name in order of first appearance.
    static func merge(_ binaries: [(String, [SDTProbe])]) -> [USDTProbe] {
        var result: [USDTProbe] = []
        var index: [String: Int] = [:]
        for (binary, probes) in binaries {
            for probe in probes {
                let locations = probe.locations.map { USDTLocation(binary: binary, site: $0) }
                if let at = index[probe.qualifiedName] {
                    result[at].locations += locations
                } else {
                    index[probe.qualifiedName] = result.count
                    result.append(USDTProbe(provider: probe.provider, name: probe.name, locations: locations))
                }
            }
        }
        return result
    }
}

/// One site of a USDT probe: the binary it is in and what its note says.
public struct USDTLocation: Sendable, Equatable {
    /// The binary (as the process maps it, for a pid).
    public var binary: String
    /// The site: address, file offset, semaphore, argument specs.
    public var site: SDTProbeLocation
}
