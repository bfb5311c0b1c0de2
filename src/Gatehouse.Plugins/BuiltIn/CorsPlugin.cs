using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// <c>cors</c>: answers CORS preflights at the gateway and adds the CORS response headers to actual requests from
/// allowed origins (the Fetch standard, §3.2 "CORS protocol").
/// </summary>
/// <remarks>
/// <para>A preflight is an <c>OPTIONS</c> request with <c>Origin</c> and <c>Access-Control-Request-Method</c>; it never
/// reaches a node. One from an allowed origin asking for allowed methods and headers gets 204 with the allow headers;
/// any other gets 403 problem JSON (code <c>forbidden</c>) without CORS headers, so the browser refuses the actual
/// request and the developer sees why in the network panel.</para>
/// <para>An actual request from an origin that is not allowed is still forwarded (CORS protects the reader, not the
/// server) but its response carries no CORS headers, so the browser withholds it from the page.</para>
/// </remarks>
internal sealed class CorsPlugin : IGatewayPlugin
{
    private static readonly PluginResponse Refused = new(403,
        [new(HeaderNames.ContentType, "application/problem+json"), new(HeaderNames.CacheControl, "no-store")],
        Encoding.UTF8.GetBytes("""{"type":"urn:gatehouse:problem:forbidden","title":"The CORS preflight was refused","status":403,"code":"forbidden","detail":"The origin, method or headers are not allowed by the API's CORS policy."}"""));

    private readonly CorsSettings _settings;
    private readonly string _allowMethods;
    private readonly string? _allowHeaders;
    private readonly string? _exposeHeaders;
    private readonly string? _maxAge;

    public CorsPlugin(CorsSettings settings)
    {
        _settings = settings;
        _allowMethods = string.Join(", ", settings.Methods);
        _allowHeaders = settings.Headers.Length == 0 || settings.AnyHeader ? null : string.Join(", ", settings.Headers);
        _exposeHeaders = settings.ExposeHeaders.Length == 0 ? null : string.Join(", ", settings.ExposeHeaders);
        _maxAge = settings.MaxAgeSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public PluginPhases Phases => PluginPhases.Request | PluginPhases.Response;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        var request = context.Http.Request;
        if (!HttpMethods.IsOptions(request.Method)
            || !request.Headers.TryGetValue(HeaderNames.Origin, out var origin)
            || !request.Headers.TryGetValue(HeaderNames.AccessControlRequestMethod, out var requestMethod))
        {
            return ValueTask.FromResult<PluginResponse?>(null);
        }

        return ValueTask.FromResult<PluginResponse?>(Preflight(origin.ToString(), requestMethod.ToString(),
            request.Headers[HeaderNames.AccessControlRequestHeaders]));
    }

    public void OnResponse(PluginContext context)
    {
        var request = context.Http.Request;
        if (!request.Headers.TryGetValue(HeaderNames.Origin, out var originValues)
            || context.Http.Response.Headers.ContainsKey(HeaderNames.AccessControlAllowMethods))
        {
            // No Origin: not a CORS request. Allow-Methods set: this plugin's own preflight answer, already complete.
            return;
        }

        var origin = originValues.ToString();
        if (!_settings.Allows(origin))
        {
            return;
        }

        var headers = context.Http.Response.Headers;
        SetOrigin(headers, origin);
        if (_exposeHeaders is not null)
        {
            headers[HeaderNames.AccessControlExposeHeaders] = _exposeHeaders;
        }
    }

    private PluginResponse Preflight(string origin, string method, StringValues requestedHeaders)
    {
        if (!_settings.Allows(origin) || !_settings.AllowsMethod(method) || !_settings.AllowsHeaders(requestedHeaders))
        {
            return Refused;
        }

        var headers = new HeaderDictionary();
        SetOrigin(headers, origin);
        headers[HeaderNames.AccessControlAllowMethods] = _settings.AnyMethod ? method : _allowMethods;
        var allowHeaders = _settings.AnyHeader ? requestedHeaders.ToString() : _allowHeaders;
        if (!string.IsNullOrEmpty(allowHeaders))
        {
            headers[HeaderNames.AccessControlAllowHeaders] = allowHeaders;
        }

        if (_maxAge is not null)
        {
            headers[HeaderNames.AccessControlMaxAge] = _maxAge;
        }

        var list = new List<KeyValuePair<string, string>>(headers.Count);
        foreach (var (name, value) in headers)
        {
            list.Add(new(name, value.ToString()));
        }

        return new PluginResponse(204, list, ReadOnlyMemory<byte>.Empty);
    }

    private void SetOrigin(IHeaderDictionary headers, string origin)
    {
        if (_settings.AnyOrigin)
        {
            // Validation forbids '*' with credentials (browsers reject that pair), so '*' is always safe to send here.
            headers[HeaderNames.AccessControlAllowOrigin] = "*";
            return;
        }

        headers[HeaderNames.AccessControlAllowOrigin] = origin;
        // The answer depends on Origin: caches between here and the browser must key on it.
        headers.Append(HeaderNames.Vary, HeaderNames.Origin);
        if (_settings.Credentials)
        {
            headers[HeaderNames.AccessControlAllowCredentials] = "true";
        }
    }
}

/// <summary>The <c>cors</c> settings, read and checked once.</summary>
internal sealed class CorsSettings
{
    private static readonly string[] Keys = ["origins", "methods", "headers", "exposeHeaders", "credentials", "maxAgeSeconds"];

    public FrozenSet<string> Origins { get; private init; } = FrozenSet<string>.Empty;

    public bool AnyOrigin { get; private init; }

    public string[] Methods { get; private init; } = ["GET", "HEAD", "POST"];

    public bool AnyMethod { get; private init; }

    public string[] Headers { get; private init; } = [];

    public bool AnyHeader { get; private init; }

    public string[] ExposeHeaders { get; private init; } = [];

    public bool Credentials { get; private init; }

    public int? MaxAgeSeconds { get; private init; }

    public bool Allows(string origin) => AnyOrigin || Origins.Contains(origin);

    public bool AllowsMethod(string method)
    {
        if (AnyMethod)
        {
            return SettingsReader.IsToken(method);
        }

        foreach (var allowed in Methods)
        {
            if (string.Equals(allowed, method, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every header named in <c>Access-Control-Request-Headers</c> is allowed (names compare ignoring case).</summary>
    public bool AllowsHeaders(StringValues requested)
    {
        foreach (var value in requested)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!AnyHeader && Array.FindIndex(Headers, h => string.Equals(h, part, StringComparison.OrdinalIgnoreCase)) < 0)
                {
                    return false;
                }
            }
        }

        return true;
    }

    public static CorsSettings Read(JsonElement settings, SettingsReader reader)
    {
        if (!reader.Object(settings, "", Keys))
        {
            return new CorsSettings();
        }

        var origins = reader.StringList(settings, "origins", "");
        if (!SettingsReader.TryGet(settings, "origins", out var given) || given.ValueKind == JsonValueKind.Array && given.GetArrayLength() == 0)
        {
            reader.Add("origins", "list the allowed origins (e.g. https://app.example.com), or '*' for any");
        }

        origins ??= [];

        for (var i = 0; i < origins.Length; i++)
        {
            if (origins[i] != "*" && !IsOrigin(origins[i]))
            {
                reader.Add($"origins[{i}]", $"'{origins[i]}' is not an origin: expected scheme://host[:port] with no path, or '*'");
            }
        }

        var methods = reader.StringList(settings, "methods", "");
        var headers = reader.StringList(settings, "headers", "");
        var expose = reader.StringList(settings, "exposeHeaders", "");
        CheckTokens(reader, "methods", methods);
        CheckTokens(reader, "headers", headers);
        CheckTokens(reader, "exposeHeaders", expose);
        var credentials = reader.Bool(settings, "credentials", "") ?? false;
        var anyOrigin = Array.IndexOf(origins, "*") >= 0;
        if (anyOrigin && credentials)
        {
            // Fetch §3.2.5: a credentialed response with Access-Control-Allow-Origin: * is rejected by every browser.
            reader.Add("credentials", "credentials cannot be allowed for any origin ('*'): browsers refuse that pair; list the origins instead");
        }

        return new CorsSettings
        {
            Origins = origins.Where(o => o != "*").ToFrozenSet(StringComparer.OrdinalIgnoreCase),
            AnyOrigin = anyOrigin,
            Methods = methods is { Length: > 0 } ? methods : ["GET", "HEAD", "POST"],
            AnyMethod = methods is not null && Array.IndexOf(methods, "*") >= 0,
            Headers = headers ?? [],
            AnyHeader = headers is not null && Array.IndexOf(headers, "*") >= 0,
            ExposeHeaders = expose ?? [],
            Credentials = credentials,
            MaxAgeSeconds = reader.Int(settings, "maxAgeSeconds", "", 0, 86_400),
        };
    }

    private static void CheckTokens(SettingsReader reader, string field, string[]? values)
    {
        for (var i = 0; i < (values?.Length ?? 0); i++)
        {
            if (values![i] != "*" && !SettingsReader.IsToken(values[i]))
            {
                reader.Add($"{field}[{i}]", $"'{values[i]}' is not a valid {(field == "methods" ? "method" : "header name")}");
            }
        }
    }

    private static bool IsOrigin(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && uri.PathAndQuery == "/" && !text.EndsWith('/')
        && uri.UserInfo.Length == 0 && uri.Fragment.Length == 0;
}

/// <summary>Creates <see cref="CorsPlugin"/>.</summary>
internal sealed class CorsPluginFactory : IGatewayPluginFactory
{
    public string Name => "cors";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        CorsSettings.Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => new CorsPlugin(CorsSettings.Read(settings, new SettingsReader()));
}
