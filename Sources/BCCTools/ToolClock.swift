// Wall-clock text as bcc's tools print it, from the C library's clock and
// time zone (no Foundation: it would bring ICU's zone data into every tool).
import Glibc

/// Wall-clock text as bcc's tools print it.
public enum ToolClock {
    /// `HH:MM:SS` in local time, now (Python's `strftime("%H:%M:%S")`).
    public static func hhmmss() -> String {
        wallClock()
    }

    /// Seconds since 1970, now (Python's `time.time()`).
    public static func unixTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// `HH:MM:SS`, with `.mmm` when `milliseconds`, in local time or UTC, now.
    public static func wallClock(utc: Bool = false, milliseconds: Bool = false) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let parts = brokenDown(now.tv_sec, utc: utc)
        var text = CText.zeroPadded(Int(parts.tm_hour), 2) + ":" + CText.zeroPadded(Int(parts.tm_min), 2) + ":"
            + CText.zeroPadded(Int(parts.tm_sec), 2)
        if milliseconds { text += "." + CText.zeroPadded(now.tv_nsec / 1_000_000, 3) }
        return text
    }

    /// The local time zone's abbreviation, as `strftime("%Z")` prints it
    /// ("UTC" where local time is UTC).
    public static var zoneAbbreviation: String {
        let parts = brokenDown(time(nil), utc: false)
        guard parts.tm_gmtoff != 0, let zone = parts.tm_zone else { return "UTC" }
        return String(cString: zone)
    }

    private static func brokenDown(_ seconds: time_t, utc: Bool) -> tm {
        var seconds = seconds
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        return parts
    }
}
