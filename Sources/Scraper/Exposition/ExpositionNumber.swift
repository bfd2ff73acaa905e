#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import TSDB

/// ExpositionNumber reads the values and timestamps of exposition text straight from the body's bytes.
///
/// Parsing in place keeps the sample path free of String allocations; most values take an exact
/// fast path and only long mantissas (such as 17-digit `_created` times) go through `strtod`.
enum ExpositionNumber {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// parseFloat reads the whole token as a float64 in any Go `ParseFloat` decimal spelling.
    ///
    /// Accepts `[+-]` digits with optional `.` fraction and `e` exponent (`1`, `1.0`, `.5`, `5.`,
    /// `1e-05`), and case-insensitive `Inf`, `Infinity` with optional sign, and unsigned `NaN`. Hex
    /// floats and underscores are not accepted. Returns nil when malformed or beyond float64's range.
    static func parseFloat(_ token: Bytes) -> Double? {
        guard let decimal = Decimal(token) else { return parseSpecial(token) }
        if decimal.mantissa == 0 { return decimal.negative ? -0.0 : 0.0 }
        // Clinger's fast path: both operands are exact doubles, so one IEEE operation rounds correctly.
        if !decimal.dropped, decimal.mantissa <= 1 << 53, (-22...22).contains(decimal.exponent) {
            let mantissa = Double(decimal.mantissa)
            let value = decimal.exponent < 0
                ? mantissa / powerOfTen(-decimal.exponent)
                : mantissa * powerOfTen(decimal.exponent)
            return decimal.negative ? -value : value
        }
        return strtodValue(token)
    }

    /// parseMilliseconds reads a 0.0.4 timestamp: a signed decimal integer of milliseconds.
    static func parseMilliseconds(_ token: Bytes) -> Timestamp? {
        var offset = 0
        var negative = false
        if let first = token.first, first == ExpositionByte.plus || first == ExpositionByte.minus {
            negative = first == ExpositionByte.minus
            offset = 1
        }
        guard offset < token.count else { return nil }
        var value: Int64 = 0
        while offset < token.count {
            let digit = token[offset] &- 0x30
            guard digit < 10 else { return nil }
            // Accumulating towards the sign lets Int64.min parse without overflow.
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative
                ? shifted.subtractingReportingOverflow(Int64(digit))
                : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = next
            offset += 1
        }
        return value
    }

    /// parseSeconds reads an OpenMetrics timestamp (a real number of seconds) as milliseconds.
    ///
    /// The conversion is decimal and exact up to 19 significant digits, so `1520879607.789`
    /// becomes 1520879607789 rather than a float product's neighbour. Sub-millisecond digits round
    /// half away from zero. Infinities, NaN and values beyond Int64 milliseconds are rejected.
    static func parseSeconds(_ token: Bytes) -> Timestamp? {
        guard let decimal = Decimal(token) else { return nil }
        let shift = decimal.exponent + 3
        var magnitude: UInt64
        if decimal.mantissa == 0 {
            magnitude = 0
        } else if shift >= 0 {
            guard shift <= 19 else { return nil }
            let (product, overflow) = decimal.mantissa.multipliedReportingOverflow(by: integerPowerOfTen(shift))
            guard !overflow else { return nil }
            magnitude = product
        } else if shift >= -19 {
            let divisor = integerPowerOfTen(-shift)
            let (quotient, remainder) = decimal.mantissa.quotientAndRemainder(dividingBy: divisor)
            magnitude = quotient + (remainder >= divisor - remainder ? 1 : 0)
        } else {
            magnitude = 0  // mantissa < 10^19, so anything shifted by 20 or more digits is under half a millisecond
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return decimal.negative ? -Int64(magnitude) : Int64(magnitude)
    }

    // MARK: Helpers

    /// Decimal is a token split into sign, up to 19 significant digits, and a power of ten.
    private struct Decimal {
        var negative = false
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        /// dropped says digits beyond the 19th were cut, so the mantissa is not exact.
        var dropped = false

        /// init matches `[+-] (digits [. digits] | . digits) [(e|E) [+-] digits]` over the whole token.
        init?(_ token: Bytes) {
            let count = token.count
            var offset = 0
            if offset < count, token[offset] == ExpositionByte.plus || token[offset] == ExpositionByte.minus {
                negative = token[offset] == ExpositionByte.minus
                offset += 1
            }
            var sawDigit = false
            while offset < count, ExpositionByte.isDigit(token[offset]) {
                append(token[offset] &- 0x30, fractional: false)
                sawDigit = true
                offset += 1
            }
            if offset < count, token[offset] == ExpositionByte.dot {
                offset += 1
                while offset < count, ExpositionByte.isDigit(token[offset]) {
                    append(token[offset] &- 0x30, fractional: true)
                    sawDigit = true
                    offset += 1
                }
            }
            guard sawDigit else { return nil }
            if offset < count, token[offset] | 0x20 == 0x65 {  // e or E
                offset += 1
                var exponentNegative = false
                if offset < count, token[offset] == ExpositionByte.plus || token[offset] == ExpositionByte.minus {
                    exponentNegative = token[offset] == ExpositionByte.minus
                    offset += 1
                }
                var value = 0
                var sawExponentDigit = false
                while offset < count, ExpositionByte.isDigit(token[offset]) {
                    // Saturating keeps absurd exponents from overflowing; they fail later as out of range.
                    if value < 1_000_000 { value = value * 10 + Int(token[offset] &- 0x30) }
                    sawExponentDigit = true
                    offset += 1
                }
                guard sawExponentDigit else { return nil }
                exponent += exponentNegative ? -value : value
            }
            guard offset == count else { return nil }
        }

        private mutating func append(_ digit: UInt8, fractional: Bool) {
            if mantissa == 0, digit == 0 {
                if fractional { exponent -= 1 }
            } else if significantDigits < 19 {
                mantissa = mantissa * 10 + UInt64(digit)
                significantDigits += 1
                if fractional { exponent -= 1 }
            } else {
                if digit != 0 { dropped = true }
                if !fractional { exponent += 1 }
            }
        }
    }

    /// parseSpecial reads `[+-]Inf`, `[+-]Infinity` and `NaN`, ignoring case.
    private static func parseSpecial(_ token: Bytes) -> Double? {
        var offset = 0
        var negative = false
        if let first = token.first, first == ExpositionByte.plus || first == ExpositionByte.minus {
            negative = first == ExpositionByte.minus
            offset = 1
        }
        let rest = UnsafeBufferPointer(rebasing: token[offset...])
        if equalsIgnoringCase(rest, "inf") || equalsIgnoringCase(rest, "infinity") {
            return negative ? -.infinity : .infinity
        }
        if offset == 0, equalsIgnoringCase(rest, "nan") { return .nan }
        return nil
    }

    private static func equalsIgnoringCase(_ bytes: Bytes, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let text = lowercase.utf8Start
        for offset in 0..<bytes.count where bytes[offset] | 0x20 != text[offset] { return false }
        return true
    }

    /// strtodValue converts an already validated decimal token with libc's correctly rounded `strtod`.
    ///
    /// The copy into a stack buffer adds the NUL terminator `strtod` needs without a heap allocation.
    /// Swift processes run in the "C" locale unless they call `setlocale`, so `.` is the separator.
    private static func strtodValue(_ token: Bytes) -> Double? {
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: token.count + 1) { buffer -> Double in
            for offset in 0..<token.count { buffer[offset] = CChar(bitPattern: token[offset]) }
            buffer[token.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
        return value.isFinite ? value : nil
    }

    @inline(__always) private static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    private static func integerPowerOfTen(_ exponent: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<exponent { result &*= 10 }
        return result
    }
}
