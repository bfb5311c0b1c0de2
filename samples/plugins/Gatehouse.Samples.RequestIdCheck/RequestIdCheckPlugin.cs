using System.Buffers;
using System.Text.Json;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Samples.RequestIdCheck;

/// <summary>
/// <c>request-id-check</c>: refuses requests without a well-formed request id, and echoes the id on the response.
/// </summary>
/// <remarks>
/// Settings: <c>header</c> (default <c>X-Request-Id</c>), <c>format</c> (<c>any</c> or <c>uuid</c>, default <c>any</c>),
/// <c>echo</c> (default true: the response carries the request's id). A request without the header, or whose id does not
/// have the format, is answered 400 with problem JSON; the node is not called.
/// </remarks>
public sealed class RequestIdCheckFactory : IGatewayPluginFactory
{
    /// <inheritdoc/>
    public string Name => "request-id-check";

    /// <inheritdoc/>
    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var errors = new List<PluginSettingError>();
        if (settings.ValueKind == JsonValueKind.Undefined)
        {
            return errors;
        }

        if (settings.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new PluginSettingError("", "expected a mapping"));
            return errors;
        }

        foreach (var property in settings.EnumerateObject())
        {
            switch (property.Name)
            {
                case "header" when property.Value.ValueKind != JsonValueKind.String || property.Value.GetString()!.Length == 0:
                    errors.Add(new PluginSettingError("header", "expected a header name"));
                    break;
                case "format" when property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() is not ("any" or "uuid"):
                    errors.Add(new PluginSettingError("format", "expected 'any' or 'uuid'"));
                    break;
                case "echo" when property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False):
                    errors.Add(new PluginSettingError("echo", "expected true or false"));
                    break;
                case "header" or "format" or "echo":
                    break;
                default:
                    errors.Add(new PluginSettingError(property.Name, "unknown setting; known: header, format, echo"));
                    break;
            }
        }

        return errors;
    }

    /// <inheritdoc/>
    public IGatewayPlugin Create(JsonElement settings)
    {
        string Text(string name, string fallback) =>
            settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty(name, out var value) ? value.GetString()! : fallback;

        var echo = settings.ValueKind != JsonValueKind.Object || !settings.TryGetProperty("echo", out var e) || e.GetBoolean();
        return new RequestIdCheckPlugin(Text("header", "X-Request-Id"), Text("format", "any") == "uuid", echo);
    }
}

/// <summary>The filter: everything derived from its settings is built here, once, never per request.</summary>
public sealed class RequestIdCheckPlugin : IGatewayPlugin
{
    private static readonly KeyValuePair<string, string>[] ProblemHeaders = [new("Content-Type", "application/problem+json")];

    private readonly string _header;
    private readonly bool _uuid;
    private readonly PluginResponse _missing;
    private readonly PluginResponse _malformed;

    public RequestIdCheckPlugin(string header, bool uuid, bool echo)
    {
        _header = header;
        _uuid = uuid;
        Phases = echo ? PluginPhases.Request | PluginPhases.Response : PluginPhases.Request;

        // Fixed answers, built once and returned without allocating. Written with Utf8JsonWriter rather than
        // JsonSerializer: the serializer's shared caches would keep this plugin's types, and so its load context, alive.
        _missing = new PluginResponse(400, ProblemHeaders, Problem($"The request has no {header} header."));
        _malformed = new PluginResponse(400, ProblemHeaders, Problem($"The {header} header is not a UUID."));
    }

    /// <inheritdoc/>
    public PluginPhases Phases { get; }

    /// <inheritdoc/>
    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        var value = context.Http.Request.Headers[_header];
        if (value.Count == 0 || string.IsNullOrWhiteSpace(value[0]))
        {
            return ValueTask.FromResult<PluginResponse?>(_missing);
        }

        return ValueTask.FromResult(_uuid && !Guid.TryParse(value[0], out _) ? _malformed : null);
    }

    /// <inheritdoc/>
    public void OnResponse(PluginContext context)
    {
        var value = context.Http.Request.Headers[_header];
        if (value.Count > 0)
        {
            context.Http.Response.Headers[_header] = value;
        }
    }

    private static ReadOnlyMemory<byte> Problem(string detail)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "urn:gatehouse:problem:bad_request");
            json.WriteString("title", "Bad request");
            json.WriteNumber("status", 400);
            json.WriteString("code", "bad_request");
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }

        return buffer.WrittenMemory.ToArray();
    }
}
