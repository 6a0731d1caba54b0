// libbpf's Kconfig externs in a bcc program: `extern int CONFIG_HZ
// __kconfig;` (or `__kconfig __weak`, LINUX_KERNEL_VERSION) becomes a
// constant whose value the prelude gives from the running kernel's
// configuration, as libbpf fills its .kconfig map: y is 1, m is 2 (its
// tristate), a number or string as written, an unset option 0.

extension RewritePass {
    /// `extern ... NAME __kconfig ...;` at file scope, as a static constant
    /// initialised with `__bcc_kconfig_NAME`; nil for other declarations.
    mutating func kconfigExtern(at index: Int) -> Edit? {
        var end = index + 1
        while end < tokens.count, !tokenizer.matches(tokens[end], ";") {
            if tokenizer.matches(tokens[end], "{") { return nil }
            end += 1
        }
        guard end < tokens.count,
              let marker = (index..<end).first(where: { tokenizer.matches(tokens[$0], "__kconfig") }) else { return nil }
        // The declarator: the last identifier before the marker (or before an array suffix).
        var nameIndex = marker - 1
        if nameIndex > index, tokenizer.matches(tokens[nameIndex], "]") {
            while nameIndex > index, !tokenizer.matches(tokens[nameIndex], "[") { nameIndex -= 1 }
            nameIndex -= 1
        }
        guard nameIndex > index, tokens[nameIndex].kind == .identifier else {
            report(at: tokens[index].start, "a __kconfig extern needs a name, e.g. extern unsigned int CONFIG_HZ __kconfig;")
            return nil
        }
        let name = tokenizer.text(tokens[nameIndex])
        kconfigNames.insert(name)
        let declaration = argumentText((index + 1)..<marker)
        let start = tokens[index].start
        return Edit(replacedStart: start, replacedEnd: tokens[end].end,
                    pieces: [.text("static const \(declaration) = __bcc_kconfig_\(name);" + newlines(from: start, to: tokens[end].end),
                                   anchor: start)],
                    nextToken: end + 1)
    }
}

extension KernelConfig {
    /// The values of libbpf's Kconfig externs `names` (CONFIG_* and
    /// LINUX_KERNEL_VERSION) as `__bcc_kconfig_NAME` definitions.
    static func externDefinitions(_ names: Set<String>, configuration: KernelConfig?, versionCode: UInt32) -> [String] {
        let values = Dictionary((configuration?.symbols ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        return names.sorted().map { name in
            let value: String
            switch values[name] {
            case "y"?: value = "1"
            case "m"?: value = "2"
            case let written?: value = written
            case nil: value = name == "LINUX_KERNEL_VERSION" ? "\(versionCode)" : "0"
            }
            return "#define __bcc_kconfig_\(name) \(value)"
        }
    }
}
