import Foundation
import Testing
import TestSupport

/// Expects this process to hold no more descriptors than `before`. Other
/// suites run in parallel and open descriptors of their own for a moment, so
/// the count is given up to ten seconds to come back down (a tool run by
/// another suite holds its pipes that long); a leak never does.
func expectNoDescriptorLeak(before: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    var now = TestSupport.openDescriptorCount()
    for _ in 0 ..< 200 where now > before {
        Thread.sleep(forTimeInterval: 0.05)
        now = TestSupport.openDescriptorCount()
    }
    #expect(now <= before, "descriptors: \(before) before, \(now) after", sourceLocation: sourceLocation)
}
