// bcc's comma-separated id options (offcputime -p 185,175; profile -L 1,2).
import ArgumentParser
import BPFObject

/// A comma-separated list of process or thread ids, as bcc's tools take them.
public enum IDList {
    /// The ids of `text` (nil when the option was not given).
    ///
    /// - Throws: `ValidationError` naming `option` when an entry is not a non-negative integer.
    public static func parse(_ text: String?, option: String) throws -> [Int32]? {
        guard let text else { return nil }
        let ids = text.split(separator: ",").map { Int32($0.trimmingWhitespace()) }
        guard !ids.isEmpty, ids.allSatisfy({ ($0 ?? -1) >= 0 }) else {
            throw ValidationError("\(option) must be a comma-separated list of positive integers, got '\(text)'")
        }
        return ids.compactMap { $0 }
    }
}
