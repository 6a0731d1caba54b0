// -j for the event tools: each record as one line of JSON, the fields of the
// C struct the program sent, as `swift-bcc run --json` prints them.
import BCC

extension BPF {
    /// Prints every record of ring buffer table `name` as one JSON line
    /// (`{"table":"events","fields":{...}}`) into `output`, written once per
    /// poll pass, then hands the decoded record to `after`.
    public func printRecordsAsJSON(ring name: String, output: OutputBuffer,
                                   after: @escaping (DecodedEvent) -> Void = { _ in }) throws(BCCError) {
        let table = try self[name]
        try table.openRingBuffer { data in
            let event = try table.event(data)
            output.appendLine(event.json(table: name))
            after(event)
        }
    }
}
