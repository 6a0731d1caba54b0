// bpf_usdt_readarg(n, ctx, &value) and bpf_usdt_readarg_p(n, ctx, buf, len)
// become calls of the reader generated for argument n of the probe the
// enclosing function is enabled on (USDTArgumentReaders). The index is
// checked here, against the probe's argument count, at the user's line.

extension RewritePass {
    mutating func usdtReadargCall(at index: Int) -> Edit? {
        guard let (arguments, close) = macroArguments(at: index) else { return nil }
        let name = tokenizer.text(tokens[index])
        let start = tokens[index].start
        func replaced(_ pieces: [Piece]) -> Edit {
            Edit(replacedStart: start, replacedEnd: tokens[close].end, pieces: pieces, nextToken: close + 1)
        }
        let failed = replaced([.text("0", anchor: start)])
        let isPointer = name == "bpf_usdt_readarg_p"
        let usage = isPointer ? "bpf_usdt_readarg_p(index, ctx, buf, len)" : "bpf_usdt_readarg(index, ctx, &value)"
        guard arguments.count == (isPointer ? 4 : 3), arguments.allSatisfy({ !$0.isEmpty }) else {
            report(at: start, "\(usage) takes \(isPointer ? 4 : 3) arguments, got \(arguments.count)")
            return failed
        }
        guard let function = enclosingFunctionName(index) else {
            report(at: start, "\(name) must be called in the function enabled on the USDT probe")
            return failed
        }
        guard let usdt = options.usdtFunctions[function] else {
            report(at: start, "\(name) in function '\(function)', which is not enabled on a USDT probe "
                   + "(USDT.enableProbe(probe:fnName: \"\(function)\"), then BPF(text:usdtContexts:))")
            return failed
        }
        let indexToken = tokens[arguments[0].lowerBound].start
        let count = usdt.argumentCount
        let range = count == 0 ? "it has none" : "1 to \(count)"
        guard let position = integerValue(argumentText(arguments[0])) else {
            report(at: indexToken, "the argument index of \(name) must be a number (USDT probe \(usdt.probe): \(range))")
            return failed
        }
        guard position >= 1, position <= count else {
            report(at: indexToken, "USDT probe \(usdt.probe) has \(count) argument\(count == 1 ? "" : "s"); "
                   + "index \(position) is out of range (\(range))")
            return failed
        }
        let reader = usdt.readerName(argument: position)
        let t = { (text: String) in Piece.text(text, anchor: start) }
        let context = Piece.tokens(arguments[1])
        if isPointer {
            return replaced([t("({ u64 __bcc_address = 0; long __bcc_error = \(reader)("), context,
                             t(", &__bcc_address, sizeof(__bcc_address)); if (!__bcc_error) __bcc_error = bpf_probe_read_user("),
                             .tokens(arguments[2]), t(", "), .tokens(arguments[3]), t(", (void *)__bcc_address); __bcc_error; })")])
        }
        let destination = Piece.tokens(arguments[2])
        return replaced([t("({ _Static_assert(sizeof(*("), destination, t(")) == 1 || sizeof(*("), destination,
                         t(")) == 2 || sizeof(*("), destination, t(")) == 4 || sizeof(*("), destination,
                         t(")) == 8, \"bpf_usdt_readarg stores into a 1, 2, 4 or 8-byte integer\"); \(reader)("), context,
                         t(", "), destination, t(", sizeof(*("), destination, t("))); })")])
    }

    /// The top-level function whose body holds token `index`: the outermost
    /// block around it, opened by `NAME(...) {`.
    func enclosingFunctionName(_ index: Int) -> String? {
        var depth = 0
        var outermost: Int?
        var i = index
        while i > 0 {
            i -= 1
            guard tokens[i].kind == .punctuator else { continue }
            if tokenizer.matches(tokens[i], "}") { depth += 1 }
            if tokenizer.matches(tokens[i], "{") {
                if depth == 0 { outermost = i } else { depth -= 1 }
            }
        }
        guard let open = outermost, open >= 2, tokenizer.matches(tokens[open - 1], ")") else { return nil }
        // Back from the ')' to its '(' and the name before it.
        var nesting = 0
        var j = open - 1
        while j >= 0 {
            if tokenizer.matches(tokens[j], ")") { nesting += 1 }
            if tokenizer.matches(tokens[j], "(") {
                nesting -= 1
                if nesting == 0 { break }
            }
            j -= 1
        }
        guard j >= 1, tokens[j - 1].kind == .identifier else { return nil }
        return tokenizer.text(tokens[j - 1])
    }
}
