using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// <c>mock</c>: answers every request of the API with a fixed response (status, headers, body) without calling a
/// node, for API-first development. The response is built once, when the snapshot is compiled.
/// </summary>
internal sealed class MockPlugin(PluginResponse response) : IGatewayPlugin
{
    private readonly ValueTask<PluginResponse?> _answer = ValueTask.FromResult<PluginResponse?>(response);

    public PluginPhases Phases => PluginPhases.Request;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context) => _answer;

    public void OnResponse(PluginContext context)
    {
    }
}

/// <summary>
/// Creates <see cref="MockPlugin"/>. Settings: <c>status</c> (default 200), <c>headers</c> (name → value),
/// and at most one of <c>body</c> (text, sent as <c>text/plain; charset=utf-8</c> unless a Content-Type header is given)
/// or <c>json</c> (any value, sent compact as <c>application/json</c>).
/// </summary>
internal sealed class MockPluginFactory : IGatewayPluginFactory
{
    private static readonly string[] Keys = ["status", "headers", "body", "json"];

    public string Name => "mock";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => new MockPlugin(Read(settings, new SettingsReader()));

    private static PluginResponse Read(JsonElement settings, SettingsReader reader)
    {
        if (settings.ValueKind == JsonValueKind.Undefined)
        {
            // No settings at all: an empty 200, the smallest useful stub.
            return new PluginResponse(200);
        }

        if (!reader.Object(settings, "", Keys))
        {
            return new PluginResponse(200);
        }

        var status = reader.Int(settings, "status", "", 200, 599) ?? 200;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in reader.StringMap(settings, "headers", "") ?? [])
        {
            if (!SettingsReader.IsToken(name))
            {
                reader.Add($"headers[{name}]", $"'{name}' is not a valid header name");
            }
            else if (!SettingsReader.IsSafeValue(value))
            {
                reader.Add($"headers[{name}]", "a header value must not contain line breaks");
            }
            else if (name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
                || name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase))
            {
                reader.Add($"headers[{name}]", $"'{name}' is set by the gateway from the body");
            }
            else
            {
                headers.Add(new(name, value));
            }
        }

        var body = reader.String(settings, "body", "");
        var hasJson = SettingsReader.TryGet(settings, "json", out var json);
        if (body is not null && hasJson)
        {
            reader.Add("json", "give either body or json, not both");
        }

        var hasContentType = headers.Exists(h => h.Key.Equals(HeaderNames.ContentType, StringComparison.OrdinalIgnoreCase));
        ReadOnlyMemory<byte> bytes = ReadOnlyMemory<byte>.Empty;
        if (hasJson)
        {
            bytes = JsonSerializer.SerializeToUtf8Bytes(json);
            if (!hasContentType)
            {
                headers.Add(new(HeaderNames.ContentType, "application/json"));
            }
        }
        else if (body is not null)
        {
            bytes = Encoding.UTF8.GetBytes(body);
            if (!hasContentType)
            {
                headers.Add(new(HeaderNames.ContentType, "text/plain; charset=utf-8"));
            }
        }

        if (bytes.Length > 0 && status is 204 or 304)
        {
            reader.Add("status", $"a {status} response has no body; remove body/json or pick another status");
        }

        return new PluginResponse(status, headers, bytes);
    }
}
