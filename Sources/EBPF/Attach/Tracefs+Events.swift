extension Tracefs {
    /// Every tracepoint the kernel has, as (category, name), from tracefs's
    /// `available_events` (one `category:name` per line), in the file's order.
    public static func events() throws(BPFError) -> [(category: String, name: String)] {
        let path = try root() + "/available_events"
        var events: [(category: String, name: String)] = []
        for line in try SysFile.read(path).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else {
                throw BPFError.malformed(what: path, detail: "expected 'category:name', found '\(line)'")
            }
            events.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        return events
    }
}
