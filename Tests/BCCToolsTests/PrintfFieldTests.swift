import BCCTools
import Foundation
import Testing

/// CText's printf fields print what Foundation's String(format:) printed
/// before the tools left Foundation, digit for digit.
@Suite struct PrintfFieldTests {
    @Test func fixedPointMatchesPrintf() {
        var generator = SystemRandomNumberGenerator()
        let special: [Double] = [0, -0.0, 0.5, 1.5, 2.5, 0.125, 0.0005, 1e-12, -3.14159, 123_456_789.987654, 1e300, .infinity, -.infinity]
        let random = (0..<500).map { _ in Double.random(in: -1e7...1e7, using: &generator) }
        for value in special + random {
            for decimals in [0, 2, 3, 6, 9] {
                #expect(CText.fixed(value, decimals) == String(format: "%.\(decimals)f", value), "\(value) with \(decimals) decimals")
            }
        }
        #expect(CText.fixed(.nan, 2) == String(format: "%.2f", Double.nan))
    }

    @Test func zeroPaddedMatchesPrintf() {
        for value in [0, 5, 42, 123, 12345, -5, -123] {
            #expect(CText.zeroPadded(value, 3) == String(format: "%03d", value))
        }
    }

    @Test func wallClockHasBccsShape() throws {
        let plain = try Regex(#"^\d\d:\d\d:\d\d$"#), precise = try Regex(#"^\d\d:\d\d:\d\d\.\d\d\d$"#)
        #expect(ToolClock.hhmmss().wholeMatch(of: plain) != nil)
        #expect(ToolClock.wallClock(utc: true, milliseconds: true).wholeMatch(of: precise) != nil)
        // The hour in UTC is what gmtime says now (a second boundary may pass between the two reads).
        let seconds = Int(ToolClock.unixTime())
        let hour = String(ToolClock.wallClock(utc: true).prefix(2))
        #expect([seconds / 3600 % 24, (seconds + 1) / 3600 % 24].map { CText.zeroPadded($0, 2) }.contains(hour))
        #expect(!ToolClock.zoneAbbreviation.isEmpty)
    }
}
