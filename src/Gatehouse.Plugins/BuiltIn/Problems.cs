using System.Buffers;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>Fixed problem-JSON answers of the built-in filters, in the gateway's shape (RFC 9457 with a stable <c>code</c>).</summary>
internal static class Problems
{
    /// <summary>401 <c>unauthorized</c>, with <paramref name="extraHeaders"/> (a <c>WWW-Authenticate</c> challenge).</summary>
    public static PluginResponse Unauthorized(string detail, KeyValuePair<string, string>[] extraHeaders) =>
        Create(401, "unauthorized", "Unauthorized", detail, extraHeaders);

    private static PluginResponse Create(int status, string code, string title, string detail, KeyValuePair<string, string>[] extraHeaders)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "urn:gatehouse:problem:" + code);
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("code", code);
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }

        KeyValuePair<string, string>[] headers =
            [new(HeaderNames.ContentType, "application/problem+json"), new(HeaderNames.CacheControl, "no-store"), .. extraHeaders];
        return new PluginResponse(status, headers, buffer.WrittenMemory.ToArray());
    }
}
