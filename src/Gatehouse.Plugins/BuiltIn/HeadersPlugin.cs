using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// <c>headers</c>: removes, sets and adds headers on the request (what the node receives) and on the response (what
/// the client receives), in that order within each side. Values are <see cref="HeaderTemplate"/>s over the request.
/// </summary>
/// <remarks>
/// Framing and routing headers (<c>Content-Length</c>, <c>Transfer-Encoding</c>, <c>Connection</c>, <c>Host</c>,
/// <c>Upgrade</c>, <c>TE</c>, <c>Trailer</c>, <c>Keep-Alive</c>, <c>Proxy-Connection</c>) are refused by validation: changing
/// them would desynchronise the message framing (request smuggling) or the forwarder's connection handling.
/// </remarks>
internal sealed class HeadersPlugin(HeaderRules request, HeaderRules response) : IGatewayPlugin
{
    public PluginPhases Phases { get; } = (request.IsEmpty ? PluginPhases.None : PluginPhases.Request)
        | (response.IsEmpty ? PluginPhases.None : PluginPhases.Response);

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        request.Apply(context.Http.Request.Headers, context);
        return ValueTask.FromResult<PluginResponse?>(null);
    }

    public void OnResponse(PluginContext context) => response.Apply(context.Http.Response.Headers, context);
}

/// <summary>One side's rules, compiled.</summary>
internal sealed class HeaderRules
{
    private static readonly string[] Keys = ["set", "add", "remove"];

    private static readonly HashSet<string> Forbidden = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Transfer-Encoding", "Connection", "Host", "Upgrade", "TE", "Trailer", "Keep-Alive", "Proxy-Connection",
    };

    private readonly string[] _remove;
    private readonly (string Name, HeaderTemplate Value)[] _set;
    private readonly (string Name, HeaderTemplate Value)[] _add;

    private HeaderRules(string[] remove, (string, HeaderTemplate)[] set, (string, HeaderTemplate)[] add)
    {
        _remove = remove;
        _set = set;
        _add = add;
    }

    public bool IsEmpty => _remove.Length == 0 && _set.Length == 0 && _add.Length == 0;

    public void Apply(IHeaderDictionary headers, PluginContext context)
    {
        foreach (var name in _remove)
        {
            headers.Remove(name);
        }

        // Each value is expanded as it is written, in the order given, so a rule may read a header an earlier rule set.
        foreach (var (name, value) in _set)
        {
            headers[name] = value.Expand(context);
        }

        foreach (var (name, value) in _add)
        {
            headers[name] = StringValues.Concat(headers[name], value.Expand(context));
        }
    }

    public static HeaderRules Read(JsonElement settings, string key, SettingsReader reader)
    {
        if (!SettingsReader.TryGet(settings, key, out var side) || !reader.Object(side, key, Keys))
        {
            return new HeaderRules([], [], []);
        }

        var remove = reader.StringList(side, "remove", key) ?? [];
        for (var i = 0; i < remove.Length; i++)
        {
            CheckName(reader, $"{key}.remove[{i}]", remove[i]);
        }

        return new HeaderRules(remove, Templates(side, key, "set", reader), Templates(side, key, "add", reader));
    }

    private static (string, HeaderTemplate)[] Templates(JsonElement side, string key, string which, SettingsReader reader)
    {
        var result = new List<(string, HeaderTemplate)>();
        foreach (var (name, text) in reader.StringMap(side, which, key) ?? [])
        {
            var field = $"{key}.{which}[{name}]";
            if (!CheckName(reader, field, name))
            {
                continue;
            }

            if (!SettingsReader.IsSafeValue(text))
            {
                reader.Add(field, "a header value must not contain line breaks");
                continue;
            }

            if (HeaderTemplate.Parse(text, field, reader) is { } template)
            {
                result.Add((name, template));
            }
        }

        return [.. result];
    }

    private static bool CheckName(SettingsReader reader, string field, string name)
    {
        if (!SettingsReader.IsToken(name))
        {
            reader.Add(field, $"'{name}' is not a valid header name");
            return false;
        }

        if (Forbidden.Contains(name))
        {
            reader.Add(field, $"'{name}' frames or routes the message and cannot be changed by a filter");
            return false;
        }

        return true;
    }
}

/// <summary>Creates <see cref="HeadersPlugin"/>.</summary>
internal sealed class HeadersPluginFactory : IGatewayPluginFactory
{
    private static readonly string[] Keys = ["request", "response"];

    public string Name => "headers";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => Read(settings, new SettingsReader());

    private static HeadersPlugin Read(JsonElement settings, SettingsReader reader)
    {
        if (!reader.Object(settings, "", Keys))
        {
            return new HeadersPlugin(HeaderRules.Read(default, "request", reader), HeaderRules.Read(default, "response", reader));
        }

        return new HeadersPlugin(HeaderRules.Read(settings, "request", reader), HeaderRules.Read(settings, "response", reader));
    }
}
