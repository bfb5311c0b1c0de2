using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Explain;

/// <summary>
/// The body of <c>POST /control/explain</c>: <c>{ method, path, query?, headers?, clientIp? }</c>, the request to
/// explain. Parsing names the first field that is wrong, for the 400 problem.
/// </summary>
internal sealed record ExplainRequest(string Method, string Path, string? Query, IReadOnlyList<KeyValuePair<string, string[]>> Headers,
    IPAddress? ClientIp)
{
    /// <summary>Methods are tokens (RFC 9110 §9.1); anything longer than this is no method a gateway forwards.</summary>
    private const int MaxMethodLength = 64;

    /// <summary>Reads a body; on failure <paramref name="field"/> and <paramref name="message"/> say what is wrong.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out ExplainRequest? request, out string field, out string message)
    {
        request = null;
        field = "body";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException ex)
        {
            message = $"the body is not valid JSON: {ex.Message}";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                message = "the body must be a JSON object { method, path, query?, headers?, clientIp? }";
                return false;
            }

            if (!TryString(root, "method", required: true, out var method, out field, out message)
                || !TryString(root, "path", required: true, out var path, out field, out message)
                || !TryString(root, "query", required: false, out var query, out field, out message)
                || !TryString(root, "clientIp", required: false, out var clientIpText, out field, out message))
            {
                return false;
            }

            if (method!.Length > MaxMethodLength || !IsToken(method))
            {
                (field, message) = ("method", $"'{Shorten(method)}' is not an HTTP method (a token of at most {MaxMethodLength} characters)");
                return false;
            }

            if (path!.Length == 0 || path[0] != '/')
            {
                (field, message) = ("path", "the path must start with '/'");
                return false;
            }

            // A path with its query attached is split, as a client's request target would be.
            var questionMark = path.IndexOf('?', StringComparison.Ordinal);
            if (questionMark >= 0)
            {
                if (query is not null)
                {
                    (field, message) = ("path", "give the query either in the path or as 'query', not both");
                    return false;
                }

                query = path[(questionMark + 1)..];
                path = path[..questionMark];
            }

            IPAddress? clientIp = null;
            if (clientIpText is not null && !IPAddress.TryParse(clientIpText, out clientIp))
            {
                (field, message) = ("clientIp", $"'{Shorten(clientIpText)}' is not an IPv4 or IPv6 address");
                return false;
            }

            if (!TryHeaders(root, out var headers, out field, out message))
            {
                return false;
            }

            request = new ExplainRequest(method, path, string.IsNullOrEmpty(query) ? null : query.TrimStart('?'), headers, clientIp);
            return true;
        }
    }

    /// <summary>
    /// The request as the gateway's stages see it after the request guard: decoded and normalised path, headers, Host,
    /// client address (through the trusted proxies). Null with <paramref name="error"/> when the path is refused.
    /// </summary>
    public HttpContext? ToContext(TrustedProxies proxies, out string? error)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = HttpMethods.GetCanonicalizedValue(Method);
        request.Scheme = "http";
        var path = DecodeAsKestrel(Path);
        if (!PathNormalizer.TryNormalize(path, out var normalized, out error))
        {
            return null;
        }

        request.Path = new PathString(normalized);
        if (Query is not null)
        {
            request.QueryString = new QueryString("?" + Query);
        }

        foreach (var (name, values) in Headers)
        {
            request.Headers.Append(name, values);
            if (string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase) && values.Length > 0)
            {
                request.Host = new HostString(values[0]);
            }
        }

        context.Connection.RemoteIpAddress = ClientIp;
        proxies.Apply(context);
        return context;
    }

    /// <summary>Percent-decodes the path as Kestrel does: everything but an encoded slash, which stays <c>%2F</c>.</summary>
    private static string DecodeAsKestrel(string path)
    {
        var decoded = new System.Text.StringBuilder(path.Length);
        var start = 0;
        int slash;
        while ((slash = path.IndexOf("%2F", start, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            decoded.Append(Uri.UnescapeDataString(path[start..slash])).Append("%2F");
            start = slash + 3;
        }

        return decoded.Append(Uri.UnescapeDataString(path[start..])).ToString();
    }

    private static bool TryString(JsonElement root, string name, bool required, out string? value, out string field, out string message)
    {
        value = null;
        field = name;
        message = "";
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                message = $"'{name}' is required";
                return false;
            }

            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            message = $"'{name}' must be a string";
            return false;
        }

        value = element.GetString();
        if (required && string.IsNullOrEmpty(value))
        {
            message = $"'{name}' must not be empty";
            return false;
        }

        return true;
    }

    private static bool TryHeaders(JsonElement root, out List<KeyValuePair<string, string[]>> headers, out string field, out string message)
    {
        headers = [];
        field = "headers";
        message = "";
        if (!root.TryGetProperty("headers", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            message = "'headers' must be an object of header names to a string or an array of strings";
            return false;
        }

        foreach (var header in element.EnumerateObject())
        {
            field = $"headers.{header.Name}";
            if (header.Name.Length == 0 || !IsToken(header.Name))
            {
                message = "not a valid header name";
                return false;
            }

            string[] values;
            switch (header.Value.ValueKind)
            {
                case JsonValueKind.String:
                    values = [header.Value.GetString()!];
                    break;
                case JsonValueKind.Array when header.Value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String):
                    values = header.Value.EnumerateArray().Select(v => v.GetString()!).ToArray();
                    break;
                default:
                    message = "a header value must be a string or an array of strings";
                    return false;
            }

            headers.Add(new(header.Name, values));
        }

        field = "";
        return true;
    }

    /// <summary>RFC 9110 §5.6.2 token characters.</summary>
    private static bool IsToken(string text)
    {
        foreach (var c in text)
        {
            if (c > 0x7E || c <= 0x20 || "\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
