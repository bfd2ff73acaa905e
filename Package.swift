// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "API", targets: ["API"]),
        .library(name: "TSDB", targets: ["TSDB"]),
        .library(name: "Scraper", targets: ["Scraper"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Prediction service: model, routes, its own metrics. Depends on no monitoring module.
        .target(
            name: "API",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Prometheus's vocabulary with Go's exact semantics: labels compared as bytes, matchers, RE2 regexes,
        // durations, label names, globs.
        .target(name: "Model", dependencies: ["CRE2"], swiftSettings: swiftSettings),
        // Debian's RE2 (libre2-dev) behind a small C interface, so Swift needs no C++ interoperability.
        .target(
            name: "CRE2",
            linkerSettings: [.linkedLibrary("re2"), .linkedLibrary("stdc++", .when(platforms: [.linux]))]
        ),
        // The prometheus.yml and rule-file YAML layer: positions, anchors, merge keys, unknown-key checks.
        .target(name: "Config", dependencies: ["Model", "Yams"], swiftSettings: swiftSettings),
        // The series store (labels, samples, matchers from Model) over SQLite.
        .target(name: "TSDB", dependencies: ["Model", "CSQLite"], swiftSettings: swiftSettings),
        // The system SQLite (Debian's libsqlite3-dev), used through its C API.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "Scraper",
            dependencies: [
                "Config", "Model", "TSDB", "Yams",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "PromQL", dependencies: ["Model", "TSDB"], swiftSettings: swiftSettings),
        .target(
            name: "Rules",
            dependencies: [
                "Config", "Model", "PromQL", "TSDB", "Yams",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Web",
            dependencies: [
                "Model", "Rules", "PromQL", "Scraper", "TSDB",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The listeners' shared guard: exporter-toolkit web configuration (TLS, basic auth, headers), security
        // headers, lifecycle and admin gating, the query gate. The executable mounts it in front of both listeners.
        .target(
            name: "WebSecurity",
            dependencies: [
                "Config", "Yams",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "API", "Config", "Model", "Web", "WebSecurity", "Rules", "PromQL", "Scraper", "TSDB",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebSecurityTests",
            dependencies: [
                "WebSecurity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ModelTests", dependencies: ["Model"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Yams"], swiftSettings: swiftSettings),
        .testTarget(name: "TSDBTests", dependencies: ["TSDB"], swiftSettings: swiftSettings),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "PromQL", "TSDB"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "PromQLTests", dependencies: ["PromQL", "TSDB"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "ScraperTests",
            dependencies: [
                "Config", "Model", "Rules", "Scraper", "TSDB",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebTests",
            dependencies: [
                "Web", "WebSecurity", "Scraper", "TSDB", "PromQL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // One harness per input surface, shared by the libFuzzer executable and the test suite's bounded run.
        .target(
            name: "FuzzTargets",
            dependencies: ["API", "Web", "Rules", "PromQL", "Scraper", "TSDB"],
            swiftSettings: swiftSettings
        ),
        // libFuzzer driver when built by bench/fuzz.sh with -DFUZZING; otherwise writes seeds and replays inputs.
        .executableTarget(name: "VigilFuzz", dependencies: ["FuzzTargets"], swiftSettings: swiftSettings),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"], swiftSettings: swiftSettings),
        // Runs the built `vigil` binary as a user would: train, serve, signals.
        .testTarget(
            name: "VigilCLITests",
            dependencies: [
                "vigil", "TSDB", "CSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
