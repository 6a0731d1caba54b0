import BPFObject
import EBPF
import Glibc

/// Everything the BCC layer throws: problems with the user's program, its
/// tables and functions, and the lower layers' errors wrapped as cases a
/// caller can match (`catch BCCError.kernel(_, _, .notSupported)`), so that
/// `BPF(text:)` and every table operation throw this one type.
///
/// Only the polls (``BPF/poll(timeout:)``, ``BPF/ringBufferPoll(timeout:)``,
/// ...) throw something else: the error a callback threw, unchanged.
public enum BCCError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Compiling

    /// The C program did not compile (the dialect rewriter's or clang's
    /// errors); the diagnostics name the user's lines.
    case compileFailed(file: String, diagnostics: [CompileDiagnostic])
    /// No clang with the BPF target was found.
    case compilerNotFound(searched: [String])
    /// The compiler could not be run or produced no object.
    case compilerFailed(command: String, detail: String)
    /// The compiled object could not be decoded.
    case object(file: String, cause: BPFObjectError)
    /// A tracepoint's format could not be read or understood.
    case tracepointFormat(tracepoint: String, detail: String)
    /// A file could not be read or written.
    case file(path: String, detail: String)

    // MARK: The loaded program

    /// The program has no table with this name.
    case tableNotFound(name: String, available: [String])
    /// The program has no function with this name.
    case functionNotFound(name: String, available: [String])
    /// The verifier refused `program` of `file`. `log` is its whole output
    /// with the user's C lines, also written to `logFile` (nil when that
    /// could not be written); the description leads with the reason and the
    /// user's line and shows only the log's last lines.
    case verifierRejected(file: String, program: String, log: String, logFile: String?)
    /// A kernel operation on a named function, table or probe failed;
    /// `cause` is the kernel layer's error (a verifier rejection carries
    /// the log with the user's lines).
    case kernel(operation: String, object: String, cause: BPFError)
    /// A function or table cannot be used the way it was asked for.
    case invalidUse(object: String, detail: String)
    /// The program was closed (``BPF/close()``, or its last reference went
    /// away) before this use.
    case closed(program: String)
    /// A table's records could not be decoded as its event struct.
    case event(table: String, cause: EventDecodingError)
    /// A histogram slot lies outside what the histogram kind holds (in
    /// table `table`, when it came from one).
    case histogramSlotOutOfRange(table: String?, kind: Histogram.Kind, slot: Int, limit: Int)
    /// A USDT probe is not in the binary or process searched; `available` lists the probes there.
    case usdtProbeNotFound(probe: String, binary: String, available: [String])

    /// A human-readable message naming the problem and where it is.
    public var description: String {
        switch self {
        case let .compileFailed(file, diagnostics):
            return DialectError.compileFailed(file: file, diagnostics: diagnostics).description
        case let .compilerNotFound(searched):
            return "no clang with the BPF target found (looked at: \(searched.joined(separator: ", "))); "
                + "set BCC_CLANG to the clang of a Swift toolchain"
        case let .compilerFailed(command, detail):
            return "compiler failed: \(command): \(detail)"
        case let .object(file, cause):
            return "\(file): \(cause)"
        case let .tracepointFormat(tracepoint, detail):
            return "tracepoint \(tracepoint): \(detail)"
        case let .file(path, detail):
            return "\(path): \(detail)"
        case let .tableNotFound(name, available):
            return "no table named '\(name)' in the BPF program (tables: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .functionNotFound(name, available):
            return "no function named '\(name)' in the BPF program (functions: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .verifierRejected(file, program, log, logFile):
            let summary = VerifierLogSummary(log)
            return "\(file): the verifier rejected program '\(program)': \(summary.text)\n"
                + (logFile.map { "the whole verifier log (\(summary.lineCount) lines): \($0)" }
                    ?? "the whole verifier log (\(summary.lineCount) lines) is in the error's log")
        case let .kernel(operation, object, cause):
            return "\(operation) \(object): \(cause)"
        case let .invalidUse(object, detail):
            return "\(object): \(detail)"
        case let .closed(program):
            return "\(program): the BPF object is closed"
        case let .event(table, cause):
            return "table '\(table)': \(cause)"
        case let .histogramSlotOutOfRange(table, kind, slot, limit):
            return (table.map { "table '\($0)': " } ?? "") + "\(kind) histogram slot \(slot) is outside 0...\(limit)"
        case let .usdtProbeNotFound(probe, binary, available):
            return "no USDT probe '\(probe)' in \(binary) (its probes: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        }
    }
}

// MARK: - Wrapping the layers below

extension BCCError {
    /// The rewriter's error: the program breaks a rule of bcc's dialect.
    init(_ error: DialectError) {
        switch error {
        case let .compileFailed(file, diagnostics): self = .compileFailed(file: file, diagnostics: diagnostics)
        }
    }

    /// A failure of the kernel layer under `operation` on `object` (a BCC
    /// error thrown from inside the operation passes through unchanged).
    static func kernel(_ operation: String, _ object: String, _ error: any Error) -> BCCError {
        switch error {
        case let error as BCCError: return error
        case let error as BPFError: return .kernel(operation: operation, object: object, cause: error)
        case let error as Errno: return .kernel(operation: operation, object: object, cause: error.error(operation: operation, object: object))
        default: return .kernel(operation: operation, object: object, cause: .malformed(what: object, detail: "\(error)"))
        }
    }

    /// Runs a kernel-layer `body`, wrapping its failure with `operation` and `object`.
    static func wrapping<T>(_ operation: String, _ object: String, _ body: () throws -> T) throws(BCCError) -> T {
        do {
            return try body()
        } catch {
            throw kernel(operation, object, error)
        }
    }
}

// MARK: - Verifier rejections

extension BCCError {
    /// A verifier rejection of `program` in `file`, its `log` (already showing
    /// the user's lines) written whole to the cache's verifier-logs/ (one file
    /// per file and program, replaced by the next rejection).
    static func verifierRejected(file: String, program: String, log: String) -> BCCError {
        let directory = VmlinuxHeaderCache.userCacheDirectory() + "/verifier-logs"
        let name = "\(FileSystem.lastComponent(of: file))-\(program).log"
            .map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }
        let path = directory + "/" + String(name)
        // Replaced whole, as the object cache publishes: a reader sees the old log or the new one.
        let temporary = CacheFile.temporaryPath(for: path)
        defer { unlink(temporary) }
        let written = (try? FileSystem.createDirectories(directory, for: "verifier log directory")) != nil
            && FileSystem.write(Array(log.utf8), to: temporary) && rename(temporary, path) == 0
        return .verifierRejected(file: file, program: program, log: log, logFile: written ? path : nil)
    }
}
