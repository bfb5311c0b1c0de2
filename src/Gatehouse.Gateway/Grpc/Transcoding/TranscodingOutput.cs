using System.Text.Json;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>A reply message as the HTTP client sees it: the whole message, or the route's <c>response_body</c> field.</summary>
internal static class TranscodingOutput
{
    public static void Write(IProtoJsonCodec codec, TranscodingRoute route, ReadOnlyMemory<byte> message, Utf8JsonWriter writer)
    {
        if (route.ResponseBodyField is not { } field)
        {
            codec.Decode(route.Method.OutputType, message, writer);
            return;
        }

        // The field alone: rendered with its message, then picked; an absent field is its JSON default (null for a message).
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var whole = new Utf8JsonWriter(buffer))
        {
            codec.Decode(route.Method.OutputType, message, whole);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        if (document.RootElement.TryGetProperty(field.JsonName, out var value))
        {
            value.WriteTo(writer);
        }
        else if (field.IsRepeated)
        {
            writer.WriteStartArray();
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
