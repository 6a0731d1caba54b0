// The kernel's C vocabulary without kernel headers: what a bcc program gets
// from the <linux/...> and <net/...> includes it names (the rewriter drops
// them; the BTF header has the types, but no #define survives into BTF).

/// The constants, macros, inline functions and member aliases of the kernel
/// headers bcc programs include, as one block of C for the prelude.
package enum KernelVocabulary {
    /// One definition and the name it defines.
    struct Entry {
        var name: String
        var text: String
    }

    /// Every entry for a kernel with `facts`, in emission order.
    static func entries(facts: KernelFacts) -> [Entry] {
        var entries = facts.definitions.map { Entry(name: $0.name, text: $0.text) }
        for group in constantGroups {
            for line in group.lines.split(separator: "\n") {
                entries.append(Entry(name: definedName(line), text: String(line)))
            }
        }
        entries += functionEntries.map { Entry(name: definedName($0), text: $0) }
        entries += memberAliases.map { Entry(name: $0.name, text: "#define \($0.name) \($0.path)") }
        return entries
    }

    /// The vocabulary's C text, leaving out the names the program defines
    /// itself (a function of its own named `min`, a member of its own named `sk_daddr`).
    package static func text(facts: KernelFacts, omitting defined: Set<String>) -> String {
        var lines = [byteOrderBasics]
        for entry in entries(facts: facts) where !defined.contains(entry.name) {
            lines.append(entry.text)
        }
        return lines.joined(separator: "\n")
    }

    /// The names the vocabulary defines for a kernel with `facts`.
    package static func names(facts: KernelFacts) -> [String] {
        entries(facts: facts).map(\.name)
    }

    /// "#define NAME ..." or "#define NAME(args) ..." -> NAME; "static ... NAME(...) {" -> NAME.
    static func definedName<Text: StringProtocol>(_ text: Text) -> String {
        func isIdentifierCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        if text.hasPrefix("#define ") {
            return String(text.dropFirst("#define ".count).prefix(while: isIdentifierCharacter))
        }
        let beforeParenthesis = text.prefix { $0 != "(" }
        return String(beforeParenthesis.reversed().prefix(while: isIdentifierCharacter).reversed())
    }
}
