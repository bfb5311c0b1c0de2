using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// Converts between JSON and protobuf messages by the proto3 JSON mapping, driven by descriptors alone (no generated
/// classes): what HTTP/JSON → gRPC transcoding needs in both directions.
/// </summary>
internal interface IProtoJsonCodec
{
    /// <summary>Encodes <paramref name="json"/> as a message of <paramref name="type"/>.</summary>
    /// <exception cref="FormatException">The JSON does not fit the message; the text names the field.</exception>
    byte[] Encode(MessageDescriptor type, JsonNode? json);

    /// <summary>Writes the message <paramref name="message"/> of <paramref name="type"/> as JSON.</summary>
    /// <exception cref="FormatException">The bytes are not a valid protobuf message.</exception>
    void Decode(MessageDescriptor type, ReadOnlyMemory<byte> message, Utf8JsonWriter writer);
}
