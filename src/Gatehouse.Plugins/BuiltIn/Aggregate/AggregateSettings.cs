using System.Text.Json;

namespace Gatehouse.Plugins.BuiltIn.Aggregate;

/// <summary>One call of an aggregation: a GET through the gateway's own routing, its result under <see cref="Name"/>.</summary>
internal sealed record AggregateCall(string Name, HeaderTemplate Path, KeyValuePair<string, HeaderTemplate>[] Headers, TimeSpan Timeout);

/// <summary>The <c>aggregate</c> filter's settings (docs/plugins.md, "aggregate").</summary>
internal sealed record AggregateSettings(AggregateCall[] Calls, string[] ForwardHeaders, bool FailOnError, string ErrorsKey)
{
    private static readonly string[] Keys = ["calls", "forwardHeaders", "onError", "timeoutMs", "errorsKey"];
    private static readonly string[] CallKeys = ["path", "headers", "timeoutMs"];

    public static AggregateSettings Read(JsonElement settings, SettingsReader reader)
    {
        if (!reader.Object(settings, "", Keys))
        {
            return new AggregateSettings([], [], false, "errors");
        }

        var timeout = reader.Int(settings, "timeoutMs", "", 1, 60_000) ?? 3_000;
        var errorsKey = reader.String(settings, "errorsKey", "") ?? "errors";
        var onError = reader.String(settings, "onError", "") ?? "partial";
        if (onError is not ("partial" or "fail"))
        {
            reader.Add("onError", $"expected partial or fail, found '{onError}'");
        }

        var forward = reader.StringList(settings, "forwardHeaders", "") ?? ["Authorization", "Cookie", "Accept-Language"];
        for (var i = 0; i < forward.Length; i++)
        {
            if (!SettingsReader.IsToken(forward[i]))
            {
                reader.Add($"forwardHeaders[{i}]", $"'{forward[i]}' is not a valid header name");
            }
        }

        return new AggregateSettings(ReadCalls(settings, reader, timeout, errorsKey), forward, onError == "fail", errorsKey);
    }

    private static AggregateCall[] ReadCalls(JsonElement settings, SettingsReader reader, int defaultTimeout, string errorsKey)
    {
        if (!SettingsReader.TryGet(settings, "calls", out var calls) || calls.ValueKind != JsonValueKind.Object)
        {
            reader.Add("calls", "name the calls to make: a mapping of result key to { path, headers, timeoutMs }");
            return [];
        }

        var result = new List<AggregateCall>();
        foreach (var call in calls.EnumerateObject())
        {
            var field = $"calls[{call.Name}]";
            if (call.Name == errorsKey)
            {
                reader.Add(field, $"'{call.Name}' is the key failed calls are listed under (errorsKey); name the call otherwise");
            }

            if (!reader.Object(call.Value, field, CallKeys))
            {
                continue;
            }

            var pathText = reader.String(call.Value, "path", field);
            HeaderTemplate? path = null;
            if (pathText is null || !pathText.StartsWith('/'))
            {
                reader.Add($"{field}.path", "give the path (and query) to call on the gateway, starting with '/'");
            }
            else
            {
                path = HeaderTemplate.Parse(pathText, $"{field}.path", reader);
            }

            var headers = new List<KeyValuePair<string, HeaderTemplate>>();
            foreach (var (name, value) in reader.StringMap(call.Value, "headers", field) ?? [])
            {
                if (!SettingsReader.IsToken(name))
                {
                    reader.Add($"{field}.headers[{name}]", $"'{name}' is not a valid header name");
                }
                else if (HeaderTemplate.Parse(value, $"{field}.headers[{name}]", reader) is { } template)
                {
                    headers.Add(new(name, template));
                }
            }

            var timeout = reader.Int(call.Value, "timeoutMs", field, 1, 60_000) ?? defaultTimeout;
            if (path is not null)
            {
                result.Add(new AggregateCall(call.Name, path, [.. headers], TimeSpan.FromMilliseconds(timeout)));
            }
        }

        if (result.Count is 0 or > 16 && reader.Errors.Count == 0)
        {
            reader.Add("calls", $"expected 1 to 16 calls, found {result.Count}");
        }

        return [.. result];
    }
}
