import BCC
import Foundation
import Synchronization

// MARK: - A label's value on its way through the chain

/// What one decoder hands the next: raw key bytes, a number, or text.
public enum LabelPiece: Sendable, Equatable {
    /// The key's bytes for this label.
    case bytes(ArraySlice<UInt8>)
    /// A number (`uint` makes these; `syscall`, `errno` and `cgroup` take them).
    case number(UInt64)
    /// Text.
    case text(String)

    /// The label value this piece stands for.
    public var text: String {
        switch self {
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .number(let number): return String(number)
        case .text(let text): return text
        }
    }
}

/// Why a key's label could not be decoded.
public struct LabelDecodeError: Error, Sendable, CustomStringConvertible {
    /// The decoder that failed.
    public var decoder: String
    /// What was wrong with its input.
    public var detail: String

    /// A decoding failure.
    public init(decoder: String, detail: String) {
        self.decoder = decoder
        self.detail = detail
    }

    /// "decoder uint: ...".
    public var description: String { "decoder \(decoder): \(detail)" }
}

// MARK: - The chain

/// The decoders of one label, built from its `DecoderSpec`s, applied in order.
public struct LabelDecoderChain: Sendable {
    /// The decoders, in order.
    let steps: [DecoderSpec]
    /// Compiled expressions of `regexp` steps, by step index.
    private let expressions: [Int: [RegexBox]]
    /// Where system lookups (symbols, partitions, cgroups, interfaces) go.
    let system: DecoderSystem

    /// A chain of `decoders`; `system` answers the lookups some of them make.
    public init(_ decoders: [DecoderSpec], system: DecoderSystem) {
        steps = decoders
        self.system = system
        var expressions: [Int: [RegexBox]] = [:]
        for (index, step) in decoders.enumerated() {
            if case .regexp(let patterns) = step {
                expressions[index] = patterns.compactMap { try? RegexBox(pattern: $0) }
            }
        }
        self.expressions = expressions
    }

    /// The label's value for `bytes`, or nil when a `regexp` step matched
    /// nothing (the key is skipped, as in ebpf_exporter).
    public func decode(_ bytes: ArraySlice<UInt8>) throws(LabelDecodeError) -> String? {
        var piece = LabelPiece.bytes(bytes)
        for (index, step) in steps.enumerated() {
            guard let next = try apply(step, index: index, to: piece) else { return nil }
            piece = next
        }
        return piece.text
    }

    private func apply(_ step: DecoderSpec, index: Int, to piece: LabelPiece) throws(LabelDecodeError) -> LabelPiece? {
        switch step {
        case .uint:
            return .number(try PlainDecoders.unsigned(rawBytes(piece, step)))
        case .string:
            return .text(PlainDecoders.cString(try rawBytes(piece, step)))
        case .hex:
            return .text(PlainDecoders.hex(try rawBytes(piece, step)))
        case .inetIP:
            return .text(try PlainDecoders.inetAddress(rawBytes(piece, step)))
        case .dname:
            return .text(PlainDecoders.domainName(try rawBytes(piece, step)))
        case .ksym:
            return .text(system.kernelSymbol(try PlainDecoders.unsigned(rawBytes(piece, step))))
        case .kstack:
            return .text(system.kernelStack(try PlainDecoders.addresses(rawBytes(piece, step))))
        case .majorMinor:
            return .text(system.blockDevice(UInt32(truncatingIfNeeded: try PlainDecoders.unsigned(rawBytes(piece, step)))))
        case .ifname:
            return .text(system.interface(UInt32(truncatingIfNeeded: try PlainDecoders.unsigned(rawBytes(piece, step)))))
        case .syscall:
            let number = try self.number(piece, step)
            return .text(Int(exactly: number).flatMap(SyscallNames.name(of:)) ?? "unknown_syscall:\(number)")
        case .errno:
            let number = try self.number(piece, step)
            return .text(ErrnoNames.name(of: number) ?? "unknown:\(number)")
        case .cgroup:
            return .text(system.cgroup(try number(piece, step)))
        case .staticMap(let mapping, let allowUnknown):
            let key = piece.text
            if let mapped = mapping[key] { return .text(mapped) }
            return .text(allowUnknown ? key : "unknown:\(key)")
        case .regexp:
            let text = piece.text
            for expression in expressions[index] ?? [] {
                if let match = expression.firstMatch(in: text) { return .text(match) }
            }
            return nil
        }
    }

    private func rawBytes(_ piece: LabelPiece, _ step: DecoderSpec) throws(LabelDecodeError) -> ArraySlice<UInt8> {
        switch piece {
        case .bytes(let bytes): return bytes
        case .text(let text): return ArraySlice(text.utf8)
        case .number(let number): return ArraySlice(String(number).utf8)
        }
    }

    private func number(_ piece: LabelPiece, _ step: DecoderSpec) throws(LabelDecodeError) -> UInt64 {
        switch piece {
        case .number(let number): return number
        case .text(let text):
            guard let number = UInt64(text) else {
                throw LabelDecodeError(decoder: step.name, detail: "'\(text)' is not a number")
            }
            return number
        case .bytes:
            throw LabelDecodeError(decoder: step.name, detail: "needs the number uint makes")
        }
    }
}

/// A compiled regular expression, shareable across the threads that decode.
final class RegexBox: Sendable {
    // Regex is not Sendable: matches take turns.
    private let regex: Mutex<Regex<AnyRegexOutput>>

    init(pattern: String) throws {
        regex = Mutex(try Regex(pattern))
    }

    /// The first capture group of the first match, or the whole match when
    /// the expression has no groups; nil when nothing matches.
    func firstMatch(in text: String) -> String? {
        guard let match = regex.withLock({ try? $0.firstMatch(in: text) }) else { return nil }
        let output = match.output
        if output.count > 1, let group = output[1].substring { return String(group) }
        return output[0].substring.map(String.init)
    }
}
