import CSnappy

/// Snappy block compression (not the framed format), as remote write and remote read use it.
public enum Snappy {
    /// Compresses `input` into one snappy block.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        // The block of no bytes is its length alone, a varint zero.
        guard !input.isEmpty else { return [0] }
        var length = snappy_max_compressed_length(input.count)
        var output = [UInt8](repeating: 0, count: length)
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                source.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(source.count, 1)) { sourceChars in
                    target.baseAddress!.withMemoryRebound(to: CChar.self, capacity: target.count) { targetChars in
                        snappy_compress(sourceChars, source.count, targetChars, &length)
                    }
                }
            }
        }
        precondition(status == SNAPPY_OK, "snappy_compress failed with a buffer of snappy_max_compressed_length")
        output.removeSubrange(length...)
        return output
    }

    /// Decompresses one snappy block; a corrupt block, or one that would expand past `limit` bytes, is an error.
    public static func decompress(_ input: [UInt8], limit: Int = 64 << 20) throws(RemoteError) -> [UInt8] {
        guard !input.isEmpty else { throw RemoteError("snappy: corrupt input") }
        var length = 0
        let lengthStatus = input.withUnsafeBufferPointer { source in
            source.baseAddress!.withMemoryRebound(to: CChar.self, capacity: source.count) { snappy_uncompressed_length($0, source.count, &length) }
        }
        guard lengthStatus == SNAPPY_OK else { throw RemoteError("snappy: corrupt input") }
        guard length <= limit else { throw RemoteError("snappy: decoded length \(length) exceeds the limit of \(limit) bytes") }
        guard length > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: length)
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                source.baseAddress!.withMemoryRebound(to: CChar.self, capacity: source.count) { sourceChars in
                    target.baseAddress!.withMemoryRebound(to: CChar.self, capacity: target.count) { targetChars in
                        snappy_uncompress(sourceChars, source.count, targetChars, &length)
                    }
                }
            }
        }
        guard status == SNAPPY_OK else { throw RemoteError("snappy: corrupt input") }
        output.removeSubrange(length...)
        return output
    }
}

/// A remote-storage failure: a bad request body, a rejected configuration, a failed send.
public struct RemoteError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The HTTP status a receiver answered with, when the failure is one.
    public var status: Int?

    public init(_ message: String, status: Int? = nil) {
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
