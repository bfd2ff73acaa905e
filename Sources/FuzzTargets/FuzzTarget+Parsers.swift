import API
import Rules
import Config
import Scraper
import TSDB
import Web

extension FuzzTarget {
    /// Numbers at the edges of Double, Int64 and the formats' grammars.
    static let numberDictionary = [
        "1e300", "-1e300", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "NaN", "Inf", "+Inf", "-Inf", "0", "-0", "1e-300", "4294967296", "0x1p63", "1_000", ".5", "5.",
    ]

    /// api-params: the query endpoints' form parameters (`query`, `time`, `start`, `end`, `step`, `timeout`,
    /// `match[]`, `limit`), read as a query string or POST body.
    static let apiParameters = FuzzTarget(
        name: "api-params", maxInputBytes: 256 << 10,
        dictionary: numberDictionary + [
            "&", "=", "%", "%2", "%ZZ", "+", "query=", "time=", "start=", "end=", "step=", "timeout=", "match[]=", "limit=",
            "2015-07-01T20:10:51.781Z", "2015-07-01T20:10:51+14:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
            "1y", "15s", "1h30m", "292y", "999999999999999999ms", "up{job=%22api%22}", "%7B__name__%3D~%22.%2B%22%7D",
        ]
    ) { input in
        do {
            _ = try QueryParameterReading.read(form: text(input))
            return .accepted
        } catch {
            return .rejected
        }
    }

    /// Exposition tokens for both text formats.
    static let expositionDictionary = numberDictionary + [
        "# TYPE x counter\n", "# TYPE x histogram\n", "# TYPE x summary\n", "# TYPE x gaugehistogram\n", "# TYPE x info\n",
        "# TYPE x stateset\n", "# HELP x help\n", "# UNIT x seconds\n", "# EOF\n", "x_bucket{le=\"+Inf\"} ", "x_total ", "x_created ",
        "x_count ", "x_sum ", " 1e300", " 9223372036854775807", " -9223372036854775809", " 1.5e9", " # {trace_id=\"x\"} 1 1e300",
        "{a=\"\\\"\"}", "{a=\"\\n\"}", "{quantile=\"0.5\"}", "{,}", "\n", "\r", "\t", "\\", "}", "{", "=", ",", "\"",
    ]

    /// exposition-text: a scrape body in Prometheus text format 0.0.4.
    static let expositionText = FuzzTarget(name: "exposition-text", dictionary: expositionDictionary) { input in
        parseExposition(input, format: .prometheusText)
    }

    /// exposition-openmetrics: a scrape body in OpenMetrics 1.0 text format.
    static let expositionOpenMetrics = FuzzTarget(name: "exposition-openmetrics", dictionary: expositionDictionary) { input in
        parseExposition(input, format: .openMetrics)
    }

    /// parseExposition pulls every entry and each sample's labels, as the scrape loop does for a new series.
    static func parseExposition(_ input: [UInt8], format: ExpositionFormat) -> FuzzVerdict {
        var parser = ExpositionParser(bytes: input, format: format)
        do {
            while let entry = try parser.next() {
                if case .sample = entry {
                    _ = parser.currentSeriesBytes.count
                    _ = parser.currentLabels()
                }
            }
            return .accepted
        } catch {
            return .rejected
        }
    }

    /// The labels, external labels and value every template runs with.
    static let templateLabels: Labels = ["__name__": "up", "instance": "localhost:9090", "job": "api", "severity": "page"]

    /// alert-template: an alerting rule's annotation template, parsed and expanded for one alert.
    static let alertTemplate = FuzzTarget(
        name: "alert-template", maxInputBytes: 64 << 10,
        dictionary: numberDictionary + [
            "{{", "}}", "{{-", "-}}", "{{ $value | humanize }}", "{{ $labels.instance }}", "{{ printf \"%*d\" ", "%.*f", "%9999999999d",
            " humanize ", " humanize1024 ", " humanizeDuration ", " humanizePercentage ", " humanizeTimestamp ", " query ",
            " range ", " end ", " with ", " if ", " else ", " template ", " define ", " block ", " index ", " len ", " slice ",
            " printf ", " toUpper ", " reReplaceAll ", " match ", " title ", " safeHtml ", " args ", " pathPrefix ", " $externalURL ",
            " (", ")", " | ", " $x := ", " = ", "\"", "`", ".Labels", ".Value", "$", " and ", " or ", " not ", " eq ", " lt ",
        ]
    ) { input in
        let template: AlertTemplate
        do { template = try AlertTemplate(text(input), alertName: "Fuzz") } catch { return .rejected }
        _ = template.expand(
            labels: templateLabels, value: 1.5, externalLabels: ["cluster": "fuzz"], externalURL: "http://vigil:9090")
        _ = template.expand(labels: templateLabels, value: .nan)
        return .accepted
    }

    /// JSON tokens for the prediction bodies.
    static let jsonDictionary = numberDictionary + [
        "{", "}", "[", "]", ",", ":", "\"Pregnancies\"", "\"Glucose\"", "\"BMI\"", "\"Age\"", "1e400", "0.5", "\u{FEFF}", "null",
        "true", "\"\\u0000\"", "\"\\ud800\"", "[[[[[[[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":", "1E+2", "\"\\\"", " ", "\n",
    ]

    /// predict-body: a `/predict` body through the fast reader and the general decoder, which must agree.
    static let predictBody = FuzzTarget(name: "predict-body", dictionary: jsonDictionary) { input in
        verdict(PredictionBodyReading.single(input))
    }

    /// predict-batch-body: a `/predict/batch` body, at most 100 rows.
    static let predictBatchBody = FuzzTarget(name: "predict-batch-body", dictionary: jsonDictionary) { input in
        verdict(PredictionBodyReading.batch(input, limit: 100))
    }

    /// The generated model the schema-driven target reads bodies for: twelve features of every kind a schema allows
    /// (integer and number, bounded on both sides, one or neither, markers, nullable, names outside ASCII).
    static let syntheticModel = CompiledModel(ModelArtifact.synthetic(featureCount: 12, seed: 7))
    static let syntheticDrift = DriftTracker(model: syntheticModel, window: 64)

    /// predict-body-schema: a `/predict` body for a model other than the diabetes one, through both readers;
    /// a body both accept is then scored and counted for drift, as the route does.
    static let predictBodySchema = FuzzTarget(
        name: "predict-body-schema", dictionary: jsonDictionary + syntheticModel.schema.names.map { "\"\($0)\"" }
    ) { input in
        let outcome = PredictionBodyReading.single(input, schema: syntheticModel.schema)
        if case .accepted(let rows) = outcome {
            for row in rows {
                _ = syntheticModel.score(row)
                syntheticDrift?.record(row, model: syntheticModel)
            }
        }
        return verdict(outcome)
    }

    static func verdict(_ outcome: PredictionBodyReading.Outcome) -> FuzzVerdict {
        switch outcome {
        case .accepted: return .accepted
        case .invalid, .malformed: return .rejected
        case .readersDisagree(let fast, let general): return .bug("fast reader read \(fast), general reader: \(general)")
        }
    }
}
