// bcc's packet access (its BTypeVisitor's dext/dins rewrite): in a program
// that includes <bcc/proto.h>, a pointer to a packet header holds an offset
// into the packet, so `ip->ttl` becomes a network-order load of those bits
// (bpf_dext_pkt) and `ip->ttl = 3` a store (bpf_dins_pkt), both through the
// function's context (its first parameter, the socket buffer). The
// checksum builtins incr_cksum_l3/l4 become the kernel's csum helpers.

extension RewritePass {
    /// Notes the function whose body starts: its first parameter is the
    /// context packet accesses go through, and its packet pointers are its own.
    mutating func enterFunction(parameters: [Range<Int>]) {
        contextParameter = parameters.first.flatMap { parameterName(argumentText($0)) }
        packetPointers = [:]
    }

    /// A packet header pointer's declaration (`struct ip_t *ip`, remembered),
    /// a read or store of one of its members, or a checksum builtin, at `index`.
    mutating func packetAccess(at index: Int, limit: Int) -> Edit? {
        let name = tokenizer.text(tokens[index])
        if name == "incr_cksum_l3" || name == "incr_cksum_l4" { return checksumUpdate(at: index, limit: limit) }
        guard packetHeadersIncluded else { return nil }
        if index >= 1, tokenizer.matches(tokens[index - 1], "struct"), let header = PacketHeader.all[name] ?? userPacketHeaders[name] {
            var next = index + 1
            while next < limit, tokenizer.matches(tokens[next], "*") { next += 1 }
            if next > index + 1, next < limit, tokens[next].kind == .identifier {
                packetPointers[tokenizer.text(tokens[next])] = header
            }
            return nil
        }
        guard let header = packetPointers[name], index + 2 < limit, tokenizer.matches(tokens[index + 1], "->"),
              tokens[index + 2].kind == .identifier else { return nil }
        if index >= 1, ["&", ".", "->"].contains(where: { tokenizer.matches(tokens[index - 1], $0) }) { return nil }
        let memberName = tokenizer.text(tokens[index + 2])
        guard let (member, bitOffset) = header.member(named: memberName) else { return nil }
        guard let context = contextParameter else {
            report(at: tokens[index].start, "packet header access '\(name)->\(memberName)' needs the function's context (the packet) as its first parameter")
            return nil
        }
        let location = "\(context), (u64)\(name) + \(bitOffset / 8), \(bitOffset % 8), \(member.bits)"
        let start = tokens[index].start
        let following = index + 3 < limit ? tokenizer.text(tokens[index + 3]) : ""
        if following == "=" {
            let valueStart = index + 4
            let valueEnd = expressionEnd(from: valueStart, limit: limit)
            guard valueEnd > valueStart else { return nil }
            // The value's pieces carry the text up to the next token; the edit covers it.
            let end = valueEnd < tokens.count ? tokens[valueEnd].start : tokens[valueEnd - 1].end
            return Edit(replacedStart: start, replacedEnd: end,
                        pieces: [.text("bpf_dins_pkt(\(location), ", anchor: start), .tokens(valueStart..<valueEnd), .text(")", anchor: start)],
                        nextToken: valueEnd)
        }
        if ["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "++", "--"].contains(following)
            || (index >= 1 && (tokenizer.matches(tokens[index - 1], "++") || tokenizer.matches(tokens[index - 1], "--"))) {
            report(at: start, "packet header member '\(name)->\(memberName)' can only be read or assigned with '='")
            return nil
        }
        return Edit(replacedStart: start, replacedEnd: tokens[index + 2].end,
                    pieces: [.text("bpf_dext_pkt(\(location))", anchor: start)], nextToken: index + 3)
    }

    /// `incr_cksum_l3(&ip->hchecksum, old, new)` and `incr_cksum_l4(&udp->crc, old, new, pseudo)`:
    /// the checksum at that packet offset updated for a field that changed from old to new.
    mutating func checksumUpdate(at index: Int, limit: Int) -> Edit? {
        let name = tokenizer.text(tokens[index])
        guard let (arguments, close) = macroArguments(at: index), close < limit else { return nil }
        let isL4 = name == "incr_cksum_l4"
        let start = tokens[index].start
        guard arguments.count == (isL4 ? 4 : 3) else {
            report(at: start, "\(name) takes \(isL4 ? "(offset, old, new, pseudo header)" : "(offset, old, new)"), got \(arguments.count) arguments")
            return nil
        }
        guard let context = contextParameter else {
            report(at: start, "\(name) needs the function's context (the packet) as its first parameter")
            return nil
        }
        func t(_ text: String) -> Piece { .text(text, anchor: start) }
        var pieces: [Piece] = [t("__bcc_\(isL4 ? "l4" : "l3")_csum_replace(\(context), (u64)("), .tokens(arguments[0]), t("), "),
                               .tokens(arguments[1]), t(", "), .tokens(arguments[2]), t(", ")]
        if isL4 {
            pieces += [t("(((u64)("), .tokens(arguments[3]), t(") & 0x1) << 4) | ")]
        }
        pieces += [t("sizeof("), .tokens(arguments[2]), t("))")]
        return Edit(replacedStart: start, replacedEnd: tokens[close].end, pieces: pieces, nextToken: close + 1)
    }

    /// The end (exclusive) of the expression starting at `start`: the first
    /// `;`, `,` or unmatched closing bracket at its nesting level.
    func expressionEnd(from start: Int, limit: Int) -> Int {
        var depth = 0
        var i = start
        while i < limit {
            let token = tokens[i]
            if token.kind == .punctuator {
                if tokenizer.matches(token, "(") || tokenizer.matches(token, "[") || tokenizer.matches(token, "{") { depth += 1 }
                if tokenizer.matches(token, ")") || tokenizer.matches(token, "]") || tokenizer.matches(token, "}") {
                    if depth == 0 { return i }
                    depth -= 1
                }
                if depth == 0 && (tokenizer.matches(token, ";") || tokenizer.matches(token, ",")) { return i }
            }
            i += 1
        }
        return i
    }
}

extension RewritePass {
    // MARK: - The program's own packet headers

    /// `struct NAME { members } BPF_PACKET_HEADER;`: a header of the
    /// program's own, read and written through the packet like proto.h's.
    /// Members are integers or bitfields (`u8 flags:4;`) in network order,
    /// as bcc lays them out; anything else is reported at its member.
    mutating func collectUserPacketHeaders() {
        for index in tokens.indices where tokens[index].kind == .identifier && tokenizer.matches(tokens[index], "BPF_PACKET_HEADER") {
            guard index >= 1, tokenizer.matches(tokens[index - 1], "}"), let open = matchingOpenBrace(index - 1),
                  open >= 2, tokenizer.matches(tokens[open - 2], "struct"), tokens[open - 1].kind == .identifier else { continue }
            let name = tokenizer.text(tokens[open - 1])
            var members: [PacketHeader.Member] = []
            var start = open + 1
            for end in (open + 1)..<(index - 1) where tokenizer.matches(tokens[end], ";") {
                let words = tokens[start..<end].map { tokenizer.text($0) }
                start = end + 1
                var bits: Int? = nil
                var declaration = words
                if let colon = words.firstIndex(of: ":"), colon + 1 < words.count, let width = Int(words[colon + 1]) {
                    bits = width
                    declaration = Array(words[..<colon])
                }
                guard declaration.count >= 2, let type = Self.packetIntegerBits[declaration.dropLast().joined(separator: " ")] else {
                    report(at: tokens[end].start, "packet header '\(name)': member '\(words.joined(separator: " "))' must be an integer or an integer bitfield")
                    continue
                }
                let member = declaration[declaration.count - 1]
                members.append(PacketHeader.Member(name: member, type: declaration.dropLast().joined(separator: " "),
                                                   bits: bits ?? type, isBitfield: bits != nil))
            }
            userPacketHeaders[name] = PacketHeader(name: name, members: members)
        }
    }

    /// Integer types a packet header member can have, by their width in bits.
    private static let packetIntegerBits: [String: Int] = [
        "char": 8, "unsigned char": 8, "signed char": 8, "u8": 8, "__u8": 8, "uint8_t": 8, "s8": 8, "int8_t": 8,
        "short": 16, "unsigned short": 16, "u16": 16, "__u16": 16, "uint16_t": 16, "s16": 16, "int16_t": 16, "__be16": 16,
        "int": 32, "unsigned int": 32, "unsigned": 32, "u32": 32, "__u32": 32, "uint32_t": 32, "s32": 32, "int32_t": 32, "__be32": 32,
        "long long": 64, "unsigned long long": 64, "u64": 64, "__u64": 64, "uint64_t": 64, "s64": 64, "int64_t": 64, "__be64": 64,
    ]

    /// The index of the `{` that the `}` at `close` ends.
    func matchingOpenBrace(_ close: Int) -> Int? {
        var depth = 0
        var i = close
        while i >= 0 {
            if tokenizer.matches(tokens[i], "}") { depth += 1 }
            if tokenizer.matches(tokens[i], "{") {
                depth -= 1
                if depth == 0 { return i }
            }
            i -= 1
        }
        return nil
    }
}
