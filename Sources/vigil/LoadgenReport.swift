import API
import Foundation

/// LoadRequest is one request `vigil loadgen` sends: where, with which content type, and what it expects back.
struct LoadRequest: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case valid, batch, fieldError, malformedJSON, wrongContentType
    }

    var kind: Kind
    var path: String
    var contentType: String
    var body: String

    /// Builds request `index` of a run: `invalidShare` of all requests are invalid, `batchShare` go to /predict/batch.
    ///
    /// Invalid requests are 70% field errors (422), 22% malformed JSON (400) and 8% a wrong content type (415).
    static func make(index: Int, seed: UInt64, invalidShare: Double, batchShare: Double, shift: [String: Double] = [:],
                     patients: PatientGenerator = .pima) -> LoadRequest {
        var rng = generator(index, seed: seed)
        let draw = Double.random(in: 0..<1, using: &rng)
        if draw < invalidShare {
            let which = Double.random(in: 0..<1, using: &rng)
            if which < 0.70 { return fieldError(using: &rng, patients: patients) }
            if which < 0.92 {
                let patient = patients.json(using: &rng)
                let broken = [String(patient.dropLast()), patient.replacingOccurrences(of: ":", with: "=", options: []), "{\"Glucose\": 148,"]
                return LoadRequest(kind: .malformedJSON, path: "/predict", contentType: "application/json", body: broken.randomElement(using: &rng)!)
            }
            return LoadRequest(kind: .wrongContentType, path: "/predict", contentType: "text/plain", body: patients.json(using: &rng))
        }
        if draw < invalidShare + batchShare {
            let rows = (0..<Int.random(in: 2...5, using: &rng)).map { _ in patients.json(using: &rng, shift: shift) }
            return LoadRequest(kind: .batch, path: "/predict/batch", contentType: "application/json", body: "[" + rows.joined(separator: ",") + "]")
        }
        return LoadRequest(kind: .valid, path: "/predict", contentType: "application/json", body: patients.json(using: &rng, shift: shift))
    }

    /// The generator for request `index` of a run, so a request's body does not depend on which worker sends it.
    static func generator(_ index: Int, seed: UInt64) -> SeededGenerator {
        var mixer = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93))
        return SeededGenerator(seed: mixer.next())
    }

    /// A well-formed body that breaks one field's rule: out of range, not an integer, a string, or missing.
    static func fieldError(using rng: inout some RandomNumberGenerator, patients: PatientGenerator) -> LoadRequest {
        var members = Array(zip(patients.fields.map(\.name), patients.values(using: &rng).map(PatientGenerator.number)))
        let field = Int.random(in: 0..<members.count, using: &rng)
        let wholeNumbers = patients.fields.indices.filter { patients.fields[$0].integer }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            let spec = patients.fields[field]
            if let maximum = spec.maximum {
                members[field].1 = PatientGenerator.number((maximum + max(abs(maximum), 1) * 100).rounded(.up))
            } else if let minimum = spec.minimum {
                members[field].1 = PatientGenerator.number((minimum - max(abs(minimum), 1) * 100).rounded(.down))
            } else {
                members[field].1 = "\"high\""
            }
        case 1 where !wholeNumbers.isEmpty:
            members[wholeNumbers[0]].1 = "2.5"  // Not a whole number.
        case 2: members[field].1 = "\"high\""
        default: members.remove(at: field)
        }
        return LoadRequest(kind: .fieldError, path: "/predict", contentType: "application/json", body: PatientGenerator.object(members))
    }
}

/// LoadSchedule hands out request slots on a fixed-rate schedule until the count or the duration runs out.
///
/// Slot `i` is due at `start + i / rate`; a rate of 0 makes every slot due at once, so only the
/// workers' concurrency limits the pace. It reads no clock: callers pass `now`.
struct LoadSchedule: Sendable {
    var rate: Double
    /// Stop after this many slots, if set.
    var count: Int?
    /// Stop issuing slots due at or after this offset from the start, if set.
    var duration: Duration?
    private(set) var issued = 0

    init(rate: Double, count: Int?, duration: Duration?) {
        self.rate = rate
        self.count = count
        self.duration = duration
    }

    /// The next slot's index and its due offset from the start, or nil when the run is over.
    mutating func next(elapsed: Duration) -> (index: Int, due: Duration)? {
        if let count, issued >= count { return nil }
        let due = rate > 0 ? Duration.seconds(Double(issued) / rate) : elapsed
        if let duration, max(due, elapsed) >= duration { return nil }
        defer { issued += 1 }
        return (issued, due)
    }
}

/// LoadgenSummary tallies a run's outcomes and renders the report `vigil loadgen` prints at the end.
struct LoadgenSummary: Sendable {
    /// Responses by HTTP status code.
    var statuses: [Int: Int] = [:]
    /// Requests that got no HTTP response (connection refused, timeout), by error description.
    var transportErrors: [String: Int] = [:]
    /// Latencies in milliseconds of requests that got a response.
    var latencies: [Double] = []

    var requests: Int { statuses.values.reduce(0, +) + transportErrors.values.reduce(0, +) }
    var unreachable: Int { transportErrors.values.reduce(0, +) }
    /// Responses other than 2xx plus requests that got none.
    var errors: Int { requests - statuses.filter { (200..<300).contains($0.key) }.values.reduce(0, +) }

    mutating func record(status: Int, milliseconds: Double) {
        statuses[status, default: 0] += 1
        latencies.append(milliseconds)
    }

    mutating func recordFailure(_ description: String) {
        transportErrors[description, default: 0] += 1
    }

    /// The nearest-rank percentile (`p` in 0...100) of ascending `sorted` values; 0 when empty.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The multi-line report; `elapsed` is the run's wall time and `target` the requested rate (0 = unpaced).
    func render(elapsed: Duration, target: Double, seed: UInt64) -> String {
        let seconds = max(Self.seconds(elapsed), 1e-9)
        let sorted = latencies.sorted()
        var lines = [
            "requests: \(requests) in \(Self.fixed(seconds, 2)) s (\(requests - errors) ok, \(errors) errors)",
            "achieved rate: \(Self.fixed(Double(requests) / seconds, 1)) req/s (target \(target > 0 ? Self.fixed(target, 1) : "unpaced"))",
        ]
        lines += statuses.keys.sorted().map { "status \($0): \(statuses[$0]!)" }
        lines += transportErrors.keys.sorted().map { "unreachable: \(transportErrors[$0]!) (\($0))" }
        lines.append("latency ms: " + [("p50", 50.0), ("p90", 90), ("p99", 99)].map { "\($0.0)=\(Self.fixed(Self.percentile(sorted, $0.1), 2))" }.joined(separator: " ")
            + " max=\(Self.fixed(sorted.last ?? 0, 2))")
        lines.append("seed: \(seed)")
        return lines.joined(separator: "\n")
    }

    /// The live progress line, without the leading carriage return.
    func progress(elapsed: Duration) -> String {
        let seconds = Self.seconds(elapsed)
        return "elapsed \(Self.fixed(seconds, 1))s  sent \(requests)  \(Self.fixed(seconds > 0 ? Double(requests) / seconds : 0, 1)) req/s  errors \(errors)"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// Parses `500ms`, `30s`, `5m` or `1h`; nil for anything else.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        guard let (suffix, factor) = units.first(where: { text.hasSuffix($0.0) }), let value = Double(text.dropLast(suffix.count)),
              value.isFinite, value >= 0 else { return nil }
        return .milliseconds(Int64((value * factor * 1000).rounded()))
    }
}
