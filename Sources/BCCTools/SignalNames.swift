// Signal names by number, as Linux numbers them on x86_64 and arm64 (the
// generic numbering; both architectures use it).

/// Names of signals for the signal and exit tools.
public enum SignalNames {
    /// "KILL" for 9, "RTMIN" for 34 and "RTMAX" for 64 (Python's `signal`
    /// names without "SIG", as bcc's exitsnoop prints them); nil when the
    /// number has no name.
    public static func shortName(of number: Int) -> String? {
        if number >= 1 && number < standard.count { return standard[number] }
        if number == 34 { return "RTMIN" }
        if number == 64 { return "RTMAX" }
        return nil
    }

    /// libbpf-tools' sigsnoop names: "SIGKILL" for 9, "SIGNAL-N" for 32...64, "N/A" for 0.
    public static func sigsnoopName(of number: Int) -> String? {
        if number == 0 { return "N/A" }
        if number >= 1 && number < standard.count { return "SIG" + standard[number] }
        if number >= 32 && number <= 64 { return "SIGNAL-\(number)" }
        return nil
    }

    /// Index = signal number; 0 is no signal.
    private static let standard = [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
        "PROF", "WINCH", "IO", "PWR", "SYS",
    ]

    /// A comma-separated list of signal numbers ("9,15") as a bit mask
    /// (bit N-1 for signal N), or nil naming the first bad entry.
    public static func mask(_ list: String, maximum: Int = 64) -> Result<UInt64, SignalListError> {
        var mask: UInt64 = 0
        for entry in list.split(separator: ",", omittingEmptySubsequences: false) {
            guard let number = Int(entry), number >= 1, number <= maximum else {
                return .failure(SignalListError(entry: String(entry), maximum: maximum))
            }
            mask |= 1 << UInt64(number - 1)
        }
        return .success(mask)
    }
}

/// A signal list entry that is not a signal number.
public struct SignalListError: Error, CustomStringConvertible {
    /// The entry.
    public var entry: String
    /// The highest number allowed.
    public var maximum: Int
    /// What is wrong.
    public var description: String { "invalid signal '\(entry)' (expected a number from 1 to \(maximum))" }
}
