using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// <c>key-auth</c>: API keys belonging to apps. The key is read from a header (default <c>X-Api-Key</c>) or, when
/// <c>query</c> names one, a query parameter; keys are stored as SHA-256 hashes (<c>sha256:&lt;hex&gt;</c>), so config and
/// snapshots never hold a usable key. A request without a known key gets 401; an accepted one goes on with the app's
/// name in <c>appHeader</c> (default <c>X-Consumer-App</c>, replacing what the client sent) and without the key
/// (unless <c>hideCredentials: false</c>).
/// </summary>
/// <remarks>API keys are long random strings, so one SHA-256 (not a slow password hash) is what keeps them safe at rest,
/// and it lets the key be looked up by its hash in one dictionary read.</remarks>
internal sealed class KeyAuthPlugin(Dictionary<string, string> appsByHash, string header, string? query, bool hideCredentials, string appHeader)
    : IGatewayPlugin
{
    private readonly PluginResponse _refused = Problems.Unauthorized(
        query is null ? $"A valid API key is required in the {header} header." : $"A valid API key is required in the {header} header or the '{query}' query parameter.",
        [new("WWW-Authenticate", $"ApiKey header=\"{header}\"")]);

    public PluginPhases Phases => PluginPhases.Request;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        var request = context.Http.Request;
        var fromQuery = false;
        string? key = request.Headers[header];
        if (string.IsNullOrEmpty(key) && query is not null)
        {
            key = request.Query[query];
            fromQuery = true;
        }

        if (string.IsNullOrEmpty(key) || !appsByHash.TryGetValue(Hash(key), out var app))
        {
            return ValueTask.FromResult<PluginResponse?>(_refused);
        }

        if (hideCredentials)
        {
            if (fromQuery)
            {
                request.QueryString = Without(request.QueryString, query!);
            }
            else
            {
                request.Headers.Remove(header);
            }
        }

        request.Headers[appHeader] = app;
        return ValueTask.FromResult<PluginResponse?>(null);
    }

    public void OnResponse(PluginContext context)
    {
    }

    internal static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static Microsoft.AspNetCore.Http.QueryString Without(Microsoft.AspNetCore.Http.QueryString query, string name)
    {
        var builder = new StringBuilder();
        foreach (var pair in new Microsoft.AspNetCore.WebUtilities.QueryStringEnumerable(query.Value))
        {
            if (!pair.DecodeName().Span.SequenceEqual(name))
            {
                builder.Append(builder.Length == 0 ? '?' : '&').Append(pair.EncodedName).Append('=').Append(pair.EncodedValue);
            }
        }

        return builder.Length == 0 ? Microsoft.AspNetCore.Http.QueryString.Empty : new Microsoft.AspNetCore.Http.QueryString(builder.ToString());
    }
}

/// <summary>Creates <see cref="KeyAuthPlugin"/>; see docs/plugins.md for the settings.</summary>
internal sealed class KeyAuthPluginFactory : IGatewayPluginFactory
{
    private static readonly string[] Keys = ["keys", "header", "query", "hideCredentials", "appHeader"];
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    public string Name => "key-auth";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => Read(settings, new SettingsReader());

    private static KeyAuthPlugin Read(JsonElement settings, SettingsReader reader)
    {
        var apps = new Dictionary<string, string>(StringComparer.Ordinal);
        string header = "X-Api-Key", appHeader = "X-Consumer-App";
        string? query = null;
        var hide = true;
        if (settings.ValueKind == JsonValueKind.Undefined || !reader.Object(settings, "", Keys))
        {
            reader.Add("keys", "at least one key is required");
            return new KeyAuthPlugin(apps, header, query, hide, appHeader);
        }

        if (!SettingsReader.TryGet(settings, "keys", out var keys) || keys.ValueKind != JsonValueKind.Array || keys.GetArrayLength() == 0)
        {
            reader.Add("keys", "expected a list of { app, key } with at least one entry");
        }
        else
        {
            var i = 0;
            foreach (var entry in keys.EnumerateArray())
            {
                var field = $"keys[{i++}]";
                if (!reader.Object(entry, field, "app", "key"))
                {
                    continue;
                }

                var app = reader.String(entry, "app", field);
                var key = reader.String(entry, "key", field);
                if (string.IsNullOrEmpty(app) || !SettingsReader.IsSafeValue(app))
                {
                    reader.Add($"{field}.app", "the app's name is required (no line breaks)");
                }

                if (key is null || !key.StartsWith("sha256:", StringComparison.Ordinal) || key.Length != 71
                    || key.AsSpan(7).ContainsAnyExcept(HexDigits))
                {
                    reader.Add($"{field}.key", "expected 'sha256:' and the 64 hex digits of the key's SHA-256, never the key itself");
                }
                else if (app is not null && !apps.TryAdd(key![7..].ToLowerInvariant(), app))
                {
                    reader.Add($"{field}.key", "the same key is listed twice");
                }
            }
        }

        header = reader.String(settings, "header", "") ?? header;
        query = reader.String(settings, "query", "");
        appHeader = reader.String(settings, "appHeader", "") ?? appHeader;
        hide = reader.Bool(settings, "hideCredentials", "") ?? true;
        foreach (var (name, value) in new[] { ("header", header), ("appHeader", appHeader) })
        {
            if (!SettingsReader.IsToken(value))
            {
                reader.Add(name, $"'{value}' is not a header name");
            }
        }

        return new KeyAuthPlugin(apps, header, query, hide, appHeader);
    }
}
