// MARK: - SDTProbe

/// A USDT probe of one binary: every note with the same provider and name,
/// each a location with its own argument specs, resolved against the file
/// (file offsets for uprobes, symbols for `sym(%rip)` arguments).
public struct SDTProbe: Equatable, Sendable {
    /// The provider, e.g. "libc".
    public var provider: String
    /// The probe's name, e.g. "setjmp".
    public var name: String
    /// The probe's sites, in note order.
    public var locations: [SDTProbeLocation]

    /// Creates a probe.
    public init(provider: String, name: String, locations: [SDTProbeLocation]) {
        self.provider = provider
        self.name = name
        self.locations = locations
    }

    /// "provider:name".
    public var qualifiedName: String { "\(provider):\(name)" }

    /// The distinct semaphores of the locations (in practice one per probe, or none).
    public var semaphores: [SDTSemaphore] {
        var seen: [SDTSemaphore] = []
        for location in locations {
            if let semaphore = location.semaphore, !seen.contains(semaphore) { seen.append(semaphore) }
        }
        return seen
    }
}

/// A probe's 2-byte counter: the program runs the probe's argument code only
/// while a tracer keeps it above zero.
public struct SDTSemaphore: Hashable, Sendable {
    /// Its virtual address in the binary.
    public var address: UInt64
    /// Its offset in the file (what a uprobe's ref_ctr_offset takes).
    public var fileOffset: UInt64

    /// Creates a semaphore.
    public init(address: UInt64, fileOffset: UInt64) {
        self.address = address
        self.fileOffset = fileOffset
    }
}

/// One site of a probe.
public struct SDTProbeLocation: Equatable, Sendable {
    /// The virtual address of the probe's nop.
    public var address: UInt64
    /// Its offset in the file (where the uprobe goes).
    public var fileOffset: UInt64
    /// The semaphore guarding this site, if any.
    public var semaphore: SDTSemaphore?
    /// The argument specs as the note has them.
    public var argumentText: String
    /// The parsed arguments, or why they cannot be read (a malformed spec,
    /// a register BPF cannot see, a symbol the binary does not have).
    public var parsedArguments: Result<[SDTArgument], ELFError>

    /// Creates a location.
    public init(address: UInt64, fileOffset: UInt64, semaphore: SDTSemaphore?, argumentText: String,
                parsedArguments: Result<[SDTArgument], ELFError>) {
        self.address = address
        self.fileOffset = fileOffset
        self.semaphore = semaphore
        self.argumentText = argumentText
        self.parsedArguments = parsedArguments
    }

    /// The parsed arguments.
    /// - Throws: `ELFError.malformedProbe` naming the binary, probe and argument.
    public func arguments() throws(ELFError) -> [SDTArgument] {
        try parsedArguments.get()
    }
}

extension ELFFile {
    /// The USDT probes of this file: its `.note.stapsdt` notes grouped by
    /// provider and name, in order of first appearance.
    ///
    /// A spec that does not parse is kept as the location's error (the other
    /// probes stay usable); a note whose address is outside the file's
    /// segments makes the whole file an error.
    public func sdtProbes() throws(ELFError) -> [SDTProbe] {
        let notes = try sdtNotes()
        guard !notes.isEmpty else { return [] }
        var probes: [SDTProbe] = []
        var indexByName: [String: Int] = [:]
        var symbolAddresses: [String: UInt64]?
        for note in notes {
            let qualified = "\(note.provider):\(note.name)"
            func malformed(_ detail: String) -> ELFError {
                .malformedProbe(binary: path, probe: qualified, detail: detail)
            }
            let fileOffset: UInt64
            do {
                fileOffset = try self.fileOffset(ofVirtualAddress: note.address)
            } catch {
                throw malformed("its address 0x\(String(note.address, radix: 16)) is in no loaded segment (\(error))")
            }
            var semaphore: SDTSemaphore?
            if let address = note.semaphoreAddress {
                do {
                    semaphore = SDTSemaphore(address: address, fileOffset: try self.fileOffset(ofVirtualAddress: address))
                } catch {
                    throw malformed("its semaphore address 0x\(String(address, radix: 16)) is in no loaded segment (\(error))")
                }
            }
            let parsed: Result<[SDTArgument], ELFError>
            do throws(SDTArgumentSpecError) {
                var arguments = try SDTArgument.parseList(note.argumentText, machine: machine)
                for (position, argument) in arguments.enumerated() {
                    guard case var .memory(operand) = argument.location, let symbol = operand.symbol else { continue }
                    if symbolAddresses == nil { symbolAddresses = definedSymbolAddresses() }
                    guard let value = symbolAddresses?[symbol] else {
                        throw SDTArgumentSpecError(argument: position + 1, text: argument.text,
                                                   detail: "symbol '\(symbol)' is not in the binary's symbol tables")
                    }
                    operand.symbolDistance = Int64(bitPattern: value &- note.address)
                    arguments[position].location = .memory(operand)
                }
                parsed = .success(arguments)
            } catch {
                parsed = .failure(malformed(error.description))
            }
            let location = SDTProbeLocation(address: note.address, fileOffset: fileOffset, semaphore: semaphore,
                                            argumentText: note.argumentText, parsedArguments: parsed)
            if let index = indexByName[qualified] {
                probes[index].locations.append(location)
            } else {
                indexByName[qualified] = probes.count
                probes.append(SDTProbe(provider: note.provider, name: note.name, locations: [location]))
            }
        }
        return probes
    }

    /// Defined symbols by name, `.symtab` first, then `.dynsym` (unreadable tables count as empty).
    private func definedSymbolAddresses() -> [String: UInt64] {
        var addresses: [String: UInt64] = [:]
        for table in [(try? symbols()) ?? [], (try? dynamicSymbols()) ?? []] {
            for symbol in table where symbol.isDefined && !symbol.name.isEmpty && addresses[symbol.name] == nil {
                addresses[symbol.name] = symbol.value
            }
        }
        return addresses
    }
}
