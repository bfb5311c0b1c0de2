using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// <c>rewrite</c>: changes the path and query the node receives. The path by template (<c>from</c>/<c>to</c>, with
/// <c>{name}</c> segments and a trailing <c>{*rest}</c>) or by regular expression (<c>regex</c>/<c>replacement</c>);
/// the query by <c>query.remove</c> (names) then <c>query.add</c> (name → value, appended). A path that does not match
/// is left as it is.
/// </summary>
internal sealed class RewritePlugin(PathTemplate? template, Regex? regex, string? replacement, string[] removeQuery,
    KeyValuePair<string, string>[] addQuery) : IGatewayPlugin
{
    private static readonly ValueTask<PluginResponse?> Continue = ValueTask.FromResult<PluginResponse?>(null);

    public PluginPhases Phases => PluginPhases.Request;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        var request = context.Http.Request;
        var path = request.Path.Value ?? "/";
        string? rewritten = null;
        if (template is not null)
        {
            rewritten = template.Rewrite(path);
        }
        else if (regex is not null)
        {
            try
            {
                if (regex.IsMatch(path))
                {
                    rewritten = regex.Replace(path, replacement!, 1);
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological path: left as it is rather than spending more time on it.
            }
        }

        if (rewritten is not null)
        {
            request.Path = new PathString(rewritten.StartsWith('/') ? rewritten : "/" + rewritten);
        }

        if (removeQuery.Length > 0 || addQuery.Length > 0)
        {
            request.QueryString = RewriteQuery(request.QueryString);
        }

        return Continue;
    }

    public void OnResponse(PluginContext context)
    {
    }

    private QueryString RewriteQuery(QueryString query)
    {
        var builder = new StringBuilder();
        if (query.HasValue)
        {
            foreach (var pair in new QueryStringEnumerable(query.Value))
            {
                var name = pair.DecodeName().ToString();
                if (Array.IndexOf(removeQuery, name) < 0)
                {
                    builder.Append(builder.Length == 0 ? '?' : '&').Append(pair.EncodedName).Append('=').Append(pair.EncodedValue);
                }
            }
        }

        foreach (var (name, value) in addQuery)
        {
            builder.Append(builder.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.Length == 0 ? QueryString.Empty : new QueryString(builder.ToString());
    }
}

/// <summary>Creates <see cref="RewritePlugin"/>; see docs/plugins.md for the settings.</summary>
internal sealed class RewritePluginFactory : IGatewayPluginFactory
{
    /// <summary>Bounds one regular-expression rewrite (catastrophic backtracking on a crafted path).</summary>
    internal static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    private static readonly string[] Keys = ["from", "to", "regex", "replacement", "query"];

    public string Name => "rewrite";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => Read(settings, new SettingsReader());

    private static RewritePlugin Read(JsonElement settings, SettingsReader reader)
    {
        if (settings.ValueKind == JsonValueKind.Undefined || !reader.Object(settings, "", Keys))
        {
            reader.Add("", "expected a mapping with from/to, regex/replacement or query");
            return new RewritePlugin(null, null, null, [], []);
        }

        var from = reader.String(settings, "from", "");
        var to = reader.String(settings, "to", "");
        var pattern = reader.String(settings, "regex", "");
        var replacement = reader.String(settings, "replacement", "");
        PathTemplate? template = null;
        Regex? regex = null;
        if ((from ?? to) is not null && (pattern ?? replacement) is not null)
        {
            reader.Add("", "use either from/to (a template) or regex/replacement, not both");
        }
        else if ((from is null) != (to is null))
        {
            reader.Add(from is null ? "from" : "to", "from and to go together");
        }
        else if ((pattern is null) != (replacement is null))
        {
            reader.Add(pattern is null ? "regex" : "replacement", "regex and replacement go together");
        }
        else if (from is not null)
        {
            template = PathTemplate.Parse(from, to!, reader);
        }
        else if (pattern is not null)
        {
            try
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
                foreach (Match reference in Regex.Matches(replacement!, @"\$(\d+)|\$\{(\w+)\}"))
                {
                    var group = reference.Groups[1].Success ? reference.Groups[1].Value : reference.Groups[2].Value;
                    if ((int.TryParse(group, out var number) ? regex.GroupNameFromNumber(number) : regex.GroupNumberFromName(group) < 0 ? "" : group) is "")
                    {
                        reader.Add("replacement", $"'{reference.Value}' names no group of the regex");
                    }
                }
            }
            catch (ArgumentException ex)
            {
                reader.Add("regex", $"not a valid regular expression: {ex.Message}");
            }
        }

        string[] remove = [];
        KeyValuePair<string, string>[] add = [];
        if (SettingsReader.TryGet(settings, "query", out var query) && reader.Object(query, "query", "add", "remove"))
        {
            remove = reader.StringList(query, "remove", "query") ?? [];
            add = reader.StringMap(query, "add", "query") ?? [];
        }

        if (template is null && regex is null && remove.Length == 0 && add.Length == 0 && reader.Errors.Count == 0)
        {
            reader.Add("", "nothing to rewrite: give from/to, regex/replacement or query");
        }

        return new RewritePlugin(template, regex, replacement, remove, add);
    }
}
