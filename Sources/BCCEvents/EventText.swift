/// The two renderings of decoded events: `name=value` text for terminals and
/// JSON for programs.
package enum EventText {
    // MARK: - Text

    package static func describe(fields: [EventField], into text: inout String) {
        for (index, field) in fields.enumerated() {
            if index > 0 { text += " " }
            text += field.name
            text += "="
            describe(field.value, into: &text)
        }
    }

    package static func describe(_ value: EventValue, into text: inout String) {
        switch value {
        case let .signed(number): text += String(number)
        case let .unsigned(number): text += String(number)
        case let .bool(flag): text += flag ? "true" : "false"
        case let .enumeration(name, number): text += name ?? String(number)
        case let .float(number): text += String(number)
        case let .text(string): describeText(string, into: &text)
        case let .pointer(address): text += "0x" + String(address, radix: 16)
        case let .bytes(bytes): hex(bytes, into: &text)
        case let .array(elements):
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                describe(element, into: &text)
            }
            text += "]"
        case let .structure(fields):
            text += "{"
            describe(fields: fields, into: &text)
            text += "}"
        }
    }

    /// Text as is when it reads unambiguously in `name=value` lists, else
    /// quoted with escapes (empty, spaces, quotes, control characters).
    private static func describeText(_ string: String, into text: inout String) {
        let plain = !string.isEmpty && string.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value != 0x7f && scalar != "\"" && scalar != "\\" && scalar != "="
        }
        if plain { text += string } else { jsonString(string, into: &text) }
    }

    private static func hex(_ bytes: [UInt8], into text: inout String) {
        text += "0x"
        // Little-endian bytes, printed most significant first like a number.
        for byte in bytes.reversed() {
            if byte < 16 { text += "0" }
            text += String(byte, radix: 16)
        }
    }

    // MARK: - JSON

    package static func json(fields: [EventField], into text: inout String) {
        text += "{"
        for (index, field) in fields.enumerated() {
            if index > 0 { text += "," }
            jsonString(field.name, into: &text)
            text += ":"
            json(field.value, into: &text)
        }
        text += "}"
    }

    package static func json(_ value: EventValue, into text: inout String) {
        switch value {
        case let .signed(number): text += String(number)
        case let .unsigned(number), let .pointer(number): text += String(number)
        case let .bool(flag): text += flag ? "true" : "false"
        case let .enumeration(name, number):
            if let name { jsonString(name, into: &text) } else { text += String(number) }
        case let .float(number):
            // JSON has no NaN or infinities.
            text += number.isFinite ? String(number) : "null"
        case let .text(string): jsonString(string, into: &text)
        case let .bytes(bytes):
            text += "\""
            hex(bytes, into: &text)
            text += "\""
        case let .array(elements):
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                json(element, into: &text)
            }
            text += "]"
        case let .structure(fields):
            json(fields: fields, into: &text)
        }
    }

    /// `string` as a JSON string literal.
    package static func jsonString(_ string: String, into text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let digits = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}
