// hardirqs: hard irq handler time, as bcc's tools/hardirqs.py.
import ArgumentParser
import BCC
import BCCTools

@main
struct Hardirqs: BCCCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardirqs",
        abstract: "Summarize hard irq event time as histograms",
        discussion: """
            Uses the irq_handler_entry and irq_handler_exit raw tracepoints (bcc's hardirqs uses
            the tracepoints of the same names).

            examples:
                hardirqs            # sum hard irq event time
                hardirqs -d         # show hard irq event time as histograms
                hardirqs 1 10       # print 1 second summaries, 10 times
                hardirqs -NT 1      # 1s summaries, nanoseconds, and timestamps
                hardirqs -c 1       # sum hard irq event time on CPU 1 only
            """)

    @OptionGroup var options: IrqOptions

    @Flag(name: [.customShort("C"), .long], help: "show event counts instead of timing")
    var count = false

    func validate() throws {
        try options.validate(counting: count, flag: "count")
    }

    /// `irq_key_t`: the action name and the slot.
    struct Key: BitwiseCopyable {
        var name: (UInt64, UInt64, UInt64, UInt64)
        var slot: UInt64
        var text: String { withUnsafeBytes(of: name) { CText.string($0) } }
    }

    func run() throws {
        let tool = IrqTool(
            what: "hard irq", sectionHeader: "hardirq", column: ("HARDIRQ", 26), source: HardirqsProgram.source,
            sectionName: { bucket in if case .text(let name) = bucket { return name }; return bucket.description },
            totals: { try $0.typed(key: Key.self, value: UInt64.self).items().map { (name: $0.key.text, value: $0.value) } })
        try tool.run(options, counting: count)
    }
}
