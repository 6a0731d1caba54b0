// Which input each decoder takes and what it makes, checked when a config is
// parsed so that a chain that cannot work is an error in the file.

/// What flows through a label's decoder chain.
enum LabelDecoding {
    /// A decoder's input or output.
    enum Input: Equatable {
        /// The key's raw bytes, this many.
        case bytes(Int)
        /// A decimal number (what `uint` makes).
        case number
        /// Text.
        case text
    }

    /// What `decoder` makes from `input`, or why it cannot take it.
    static func output(of decoder: DecoderSpec, for input: Input) -> Result<Input, ProblemText> {
        switch decoder {
        case .uint:
            return bytes(input, decoder, sizes: [1, 2, 4, 8], makes: .number)
        case .string, .hex, .dname:
            return bytes(input, decoder, sizes: nil, makes: .text)
        case .inetIP:
            return bytes(input, decoder, sizes: [4, 16], makes: .text)
        case .ksym:
            return bytes(input, decoder, sizes: [8], makes: .text)
        case .majorMinor, .ifname:
            return bytes(input, decoder, sizes: [4], makes: .text)
        case .kstack:
            if case .bytes(let size) = input, size % 8 != 0 {
                return .failure(ProblemText("the kstack decoder reads 8-byte addresses: the label's size (\(size)) must be a multiple of 8"))
            }
            return bytes(input, decoder, sizes: nil, makes: .text)
        case .syscall, .errno, .cgroup:
            guard input == .number else {
                return .failure(ProblemText("the \(decoder.name) decoder takes the number that uint makes: put '- name: uint' before it"))
            }
            return .success(.text)
        case .staticMap, .regexp:
            // They read the input as text; a uint before them gives the number.
            return .success(.text)
        }
    }

    private static func bytes(_ input: Input, _ decoder: DecoderSpec, sizes: [Int]?, makes output: Input) -> Result<Input, ProblemText> {
        guard case .bytes(let size) = input else {
            return .failure(ProblemText("the \(decoder.name) decoder reads the key's bytes, so it must come first in the chain"))
        }
        if let sizes, !sizes.contains(size) {
            let list = sizes.map(String.init).joined(separator: ", ")
            return .failure(ProblemText("the \(decoder.name) decoder reads \(sizes.count == 1 ? list : "\(list)") bytes, the label's size is \(size)"))
        }
        return .success(output)
    }
}

/// A problem's text, as an Error for `Result`.
struct ProblemText: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}
