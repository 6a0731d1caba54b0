// bcc's print_json_hist: a log2 histogram as one JSON object a line.
import BCCEvents
import Glibc

extension Histogram {
    /// The JSON object bcc's `_get_json_hist` builds for log2 `slots`: `ts`,
    /// `val_type`, `data` (slot 1 up to the last non-empty slot, each with
    /// its `interval-start`, `interval-end` and `count`; bcc leaves slot 0
    /// out) and, for a section, its header and label. bcc prints the Python
    /// dict; this is the same in JSON, keys in bcc's order.
    public static func json(_ slots: [Int: UInt64], valType: String, time: String,
                            section: (header: String, label: String)? = nil) -> String {
        let last = slots.filter { $0.value != 0 }.keys.max() ?? 0
        var text = "{\"ts\": "
        EventText.jsonString(time, into: &text)
        text += ", \"val_type\": "
        EventText.jsonString(valType, into: &text)
        text += ", \"data\": ["
        var start: UInt64 = 0
        var end: UInt64 = 1
        if last >= 1 {
            for slot in 1 ... last {
                end = slot >= 64 ? UInt64.max : UInt64(1) << UInt64(slot)
                if slot > 1 { text += ", " }
                text += "{\"interval-start\": \(start), \"interval-end\": \(end == UInt64.max ? end : end - 1), "
                    + "\"count\": \(slots[slot] ?? 0)}"
                start = end
            }
        }
        text += "]"
        if let section {
            text += ", "
            EventText.jsonString(section.header, into: &text)
            text += ": "
            EventText.jsonString(section.label, into: &text)
        }
        return text + "}"
    }

    /// The local time as bcc's `strftime("%Y-%m-%d %H:%M:%S")` writes it.
    public static func localTime() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
