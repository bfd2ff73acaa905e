import PromQL
import Testing
import Web

/// Query-API parameters that once trapped the server: every one must be a bad_data error instead.
@Suite struct QueryParameterReadingTests {
    static func error(_ form: String) -> APIError? {
        do {
            _ = try QueryParameterReading.read(form: form)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["time", "start", "end"])
    func timeBeyondInt64MillisecondsIsBadData(_ name: String) {
        let error = Self.error("\(name)=1e300")
        #expect(error?.kind == .badData)
        // `time` is optional and read as Prometheus's /query reads it; `start` and `end` as /query_range does.
        let prefix = name == "time" ? "Invalid time value for 'time': " : ""
        #expect(error?.message == "invalid parameter \"\(name)\": \(prefix)cannot parse \"1e300\" to a valid timestamp")
        #expect(Self.error("\(name)=-9.3e15")?.kind == .badData)
    }

    @Test(arguments: ["step", "timeout"])
    func durationBeyondInt64MillisecondsIsBadData(_ name: String) {
        let error = Self.error("\(name)=1e300")
        #expect(error?.kind == .badData)
        #expect(error?.message == "invalid parameter \"\(name)\": cannot parse \"1e300\" to a valid duration. It overflows int64")
    }

    @Test func ordinaryParametersStillParse() throws {
        let parsed = try QueryParameterReading.read(form: "query=up&time=1.5&step=15s&timeout=0.25&match[]=up%7Bjob%3D%22a%22%7D&limit=3")
        #expect(parsed.time == 1500)
        #expect(parsed.step == 15_000)
        #expect(parsed.timeout == 250)
        #expect(parsed.matcherSets.count == 1)
        #expect(parsed.limit == 3)
        #expect(parsed.query != nil)
    }
}
