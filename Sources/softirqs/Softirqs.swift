// softirqs: soft irq handler time, as bcc's tools/softirqs.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Softirqs: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "softirqs",
        abstract: "Summarize soft irq event time as histograms.",
        discussion: """
            Uses the softirq_entry and softirq_exit raw tracepoints (bcc's softirqs uses
            the tracepoints of the same names).

            examples:
                softirqs            # sum soft irq event time
                softirqs -C         # show the number of soft irq events
                softirqs -d         # show soft irq event time as histograms
                softirqs 1 10       # print 1 second summaries, 10 times
                softirqs -NT 1      # 1s summaries, nanoseconds, and timestamps
                softirqs -c 1       # sum soft irq event time on CPU 1 only
            """)

    @OptionGroup var options: IrqOptions

    @Flag(name: [.customShort("C"), .long], help: "show the number of soft irq events")
    var events = false

    func validate() throws {
        try options.validate(counting: events, flag: "events")
    }

    /// `irq_key_t`: the vector and the slot.
    struct Key: BitwiseCopyable {
        var vec: UInt32
        var padding: UInt32
        var slot: UInt64
        var text: String { SoftirqsProgram.name(ofVector: Int(vec)) }
    }

    func run() throws {
        let tool = IrqTool(
            what: "soft irq", sectionHeader: "softirq", column: ("SOFTIRQ", 16), source: SoftirqsProgram.source,
            sectionName: { SoftirqsProgram.name(ofVector: Int($0.integer ?? -1)) },
            totals: { try $0.typed(key: Key.self, value: UInt64.self).items().map { (name: $0.key.text, value: $0.value) } })
        try tool.run(options, counting: events)
    }
}
