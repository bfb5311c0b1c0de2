using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Forwarding.Rpc;

/// <summary>
/// What the RPC forwarders (Dubbo, Tars) take from an HTTP request alike: the JSON body, named path and query values,
/// and the context sent along with the call (configured headers, request id, trace context).
/// </summary>
internal static class RpcRequestValues
{
    /// <summary>Template variables and the index of their path segment; null when the path has none (or names are not used).</summary>
    public static List<(string Name, int Segment)>? PathSegments(string path, MatchKind kind)
    {
        if (kind != MatchKind.Template)
        {
            return null;
        }

        List<(string, int)>? found = null;
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length > 2 && segment[0] == '{' && segment[^1] == '}')
            {
                (found ??= []).Add((segment[1..^1], i));
            }
        }

        return found;
    }

    /// <summary>The value of the template variable <paramref name="name"/> in <paramref name="path"/>, unescaped; null when none.</summary>
    public static string? PathValue(List<(string Name, int Segment)>? segments, PathString path, string name)
    {
        if (segments is null)
        {
            return null;
        }

        foreach (var (variable, index) in segments)
        {
            if (variable == name)
            {
                var parts = path.Value!.Split('/');
                return index < parts.Length ? Uri.UnescapeDataString(parts[index]) : null;
            }
        }

        return null;
    }

    /// <summary>The first query value of <paramref name="name"/>; null when absent.</summary>
    public static string? QueryValue(HttpRequest request, string name)
    {
        var values = request.Query[name];
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>A path or query value as JSON: read as JSON (numbers, booleans, arrays, objects), else as a JSON string.</summary>
    public static JsonDocument TextAsJson(string text, bool isString)
    {
        if (!isString)
        {
            try
            {
                return JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
            }
        }

        return JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(text));
    }

    /// <summary>The request body, read in full (the limits of the API and server apply); empty when there is none.</summary>
    public static async Task<MemoryStream> ReadBodyAsync(HttpContext context)
    {
        var buffer = new MemoryStream();
        if (HttpForwarder.HasRequestBody(context.Request))
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        }

        return buffer;
    }

    /// <summary>The request body parsed as JSON; null when empty. A body that is not JSON is a <see cref="FormatException"/>.</summary>
    public static async Task<JsonDocument?> ReadJsonBodyAsync(HttpContext context)
    {
        using var buffer = await ReadBodyAsync(context);
        if (buffer.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException e)
        {
            throw new FormatException($"the request body is not JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// The context sent along with a call: the configured headers present on the request (lower-cased names), the
    /// request id, and the attempt's W3C trace context with the client's tracestate.
    /// </summary>
    public static List<KeyValuePair<string, string>> CallContext(HttpContext context, string[] headerNames, string requestId)
    {
        var values = new List<KeyValuePair<string, string>>(headerNames.Length + 3);
        var headers = context.Request.Headers;
        foreach (var name in headerNames)
        {
            var value = headers[name];
            if (value.Count > 0)
            {
                values.Add(new(name, value.ToString()));
            }
        }

        values.Add(new("x-request-id", requestId));
        var traceparent = context.Features.Get<RequestTelemetry>()?.UpstreamTraceparent ?? headers[GatewayTracing.TraceParentHeader].ToString();
        if (!string.IsNullOrEmpty(traceparent))
        {
            values.Add(new(GatewayTracing.TraceParentHeader, traceparent));
            if (headers["tracestate"] is { Count: 1 } tracestate)
            {
                values.Add(new("tracestate", tracestate.ToString()));
            }
        }

        return values;
    }

    /// <summary>Lower-cased copies of header names, as they are looked up and sent.</summary>
    public static string[] LowerCase(IReadOnlyList<string>? names)
    {
        var list = names ?? [];
        var lowered = new string[list.Count];
        for (var i = 0; i < lowered.Length; i++)
        {
            lowered[i] = list[i].ToLowerInvariant();
        }

        return lowered;
    }
}
