import Config
import Foundation
@testable import Remote
import Scraper
import Testing

@Suite struct SnappyTests {
    @Test func roundTripsBytesOfEverySize() throws {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 7, 100, 65_536, 300_000] {
            let input = (0..<size).map { index in index % 3 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8(index % 7) }
            let compressed = Snappy.compress(input)
            #expect(try Snappy.decompress(compressed) == input, "size \(size)")
        }
    }

    @Test func corruptOrOversizedInputIsAnErrorNotATrap() throws {
        #expect(throws: RemoteError.self) { try Snappy.decompress([]) }
        #expect(throws: RemoteError.self) { try Snappy.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
        let big = Snappy.compress([UInt8](repeating: 7, count: 10_000))
        #expect { try Snappy.decompress(big, limit: 100) } throws: { error in
            (error as? RemoteError)?.message.contains("exceeds the limit of 100 bytes") == true
        }
    }
}

@Suite struct RemoteWriteConfigTests {
    @Test func decodesEveryDocumentedKeyWithPrometheusDefaults() throws {
        let config = try PrometheusConfiguration(yaml: """
            remote_write:
              - url: http://127.0.0.1:9/api/v1/write
              - url: https://example.org/push
                name: central
                remote_timeout: 5s
                headers: {X-Scope-OrgID: team-a}
                send_exemplars: false
                write_relabel_configs: [{source_labels: [__name__], regex: "go_.*", action: drop}]
                metadata_config: {send: false, send_interval: 30s, max_samples_per_send: 100}
                queue_config: {capacity: 100, min_shards: 2, max_shards: 4, max_samples_per_send: 50, batch_send_deadline: 1s,
                               min_backoff: 10ms, max_backoff: 1s, retry_on_http_429: false}
            """, file: "p.yml")
        let defaults = config.remoteWriteConfigs[0]
        #expect(defaults.queueConfig.capacity == 2500 && defaults.queueConfig.maxShards == 200 && defaults.queueConfig.minShards == 1)
        #expect(defaults.queueConfig.maxSamplesPerSend == 500 && defaults.queueConfig.batchSendDeadline == .seconds(5))
        #expect(defaults.remoteTimeout == .seconds(30) && defaults.metadataConfig.send && defaults.queueConfig.retryOnHTTP429)
        #expect(defaults.queueName.count == 6, "an unnamed queue is named by a hash, as in Prometheus")
        let central = config.remoteWriteConfigs[1]
        #expect(central.queueName == "central" && central.headers == ["X-Scope-OrgID": "team-a"] && central.remoteTimeout == .seconds(5))
        #expect(central.writeRelabelConfigs.count == 1 && !central.metadataConfig.send && central.metadataConfig.maxSamplesPerSend == 100)
        #expect(central.queueConfig.minShards == 2 && central.queueConfig.maxShards == 4 && central.queueConfig.capacity == 100)
        #expect(central.queueConfig.minBackoff.milliseconds == 10 && !central.queueConfig.retryOnHTTP429)
    }

    /// Each bad file fails with a message naming the field, at the line and column of the offending key or value.
    @Test(arguments: [
        ("remote_write: [{url: http://a/w, oauth2: {client_id: x}}]", "1:34: field oauth2 in remote write config is not supported"),
        ("remote_write: [{url: http://a/w, send_exemplars: true}]", "1:50: send_exemplars: true is not supported"),
        ("remote_write: [{url: http://a/w, queue_config: {max_shard: 3}}]", "1:49: field max_shard not found in queue config (did you mean max_shards?)"),
        ("remote_write: [{url: http://a/w, headers: {User-Agent: x}}]", "User-Agent is a reserved header. It must not be changed"),
        ("remote_write: [{name: x}]", "url for remote_write is empty"),
        ("remote_write: [{url: 'ftp://a/w'}]", "invalid remote_write url \"ftp://a/w\""),
        ("remote_write: [{url: http://a/w, name: x}, {url: http://b/w, name: x}]", "found multiple remote write configs with job name \"x\""),
        ("remote_write: [{url: http://a/w, queue_config: {min_shards: 5, max_shards: 2}}]", "min_shards (5) must not exceed max_shards (2)"),
        ("remote_write: [{url: http://a/w, remote_timeout: 1x}]", "not a valid duration string"),
        ("remote_read: [{url: http://a/r}]", "field remote_read in configuration is not supported"),
    ])
    func badRemoteWriteConfigsFailWithTheField(yaml: String, expected: String) {
        #expect {
            _ = try PrometheusConfiguration(yaml: yaml, file: "p.yml")
        } throws: { error in
            let text = "\(error)"
            let matches = text.contains(expected)
            if !matches { Issue.record("got: \(text)") }
            return matches
        }
    }
}
