using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Config;

namespace Gatehouse.Host.Cli;

/// <summary>
/// <c>gatehouse diff FILE --admin URL [--group G]</c>, as <c>deck diff</c>: checks FILE locally as <c>validate</c> does,
/// then asks the admin's import dry run what importing it would change against the group's current version, and prints
/// that as <c>+</c> added, <c>-</c> removed and <c>~</c> changed lines. Nothing is published.
/// </summary>
/// <remarks>
/// Exit codes: 0 when the diff was shown, with or without changes (as <c>deck diff</c>: a diff is an answer, not a
/// failure); with <c>--exit-code</c>, 3 when there are changes, so a CI job can detect drift. 1 for an invalid file, a
/// file the admin refuses, or an admin that cannot be asked (unreachable, 401, 403, unknown group); 2 for a usage error.
/// </remarks>
internal static class DiffCommand
{
    /// <summary>The exit code of <c>--exit-code</c> when there are changes (1 and 2 already mean error and usage error).</summary>
    public const int ChangesExitCode = 3;

    public static async Task<int> RunAsync(ParsedCommandLine parsed)
    {
        var path = parsed.Argument ?? throw new UsageException("FILE is required: gatehouse diff FILE --admin URL [--group GROUP]");
        using var admin = AdminApiClient.From(parsed);

        // :: Step 1: the local check, so a typo is reported with its line and column before anything goes over the wire.
        if (ValidateCommand.Load(path) is null)
        {
            return 1;
        }

        // :: Step 2: the dry run, with the file's text as it is (the admin parses it again, as an import would).
        ConfigLoader.TryGetFormat(path, out var format);
        var text = await File.ReadAllTextAsync(path);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/groups/{Uri.EscapeDataString(admin.Group)}/import?dryRun=true")
        {
            Content = new StringContent(text, Encoding.UTF8, format == ConfigFormat.Yaml ? "application/yaml" : "application/json"),
        };
        var (body, response) = await admin.SendAsync(request, $"diff against group '{admin.Group}'");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            return PrintRefusal(path, admin.Group, body);
        }

        // :: Step 3: the changes, one line per entry (per field for a changed one), then a summary.
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var current = root.GetProperty("currentVersion").GetInt64();
        var changes = root.GetProperty("changes");
        foreach (var change in changes.EnumerateArray())
        {
            foreach (var line in Lines(change))
            {
                System.Console.Out.WriteLine(line);
            }
        }

        var summary = root.GetProperty("summary");
        var count = changes.GetArrayLength();
        System.Console.Out.WriteLine(count == 0
            ? $"No changes: {path} matches version {current} of group '{admin.Group}'."
            : $"{ValidateCommand.Count(count, "change")} against version {current} of group '{admin.Group}': "
              + $"{summary.GetProperty("added").GetInt32()} added, {summary.GetProperty("removed").GetInt32()} removed, "
              + $"{summary.GetProperty("changed").GetInt32()} changed. Nothing was published.");
        return count > 0 && parsed.Has("--exit-code") ? ChangesExitCode : 0;
    }

    /// <summary>The lines of one change: <c>+ service users</c>, <c>- api get-order (orders)</c>, <c>~ node n (orders) weight: 10 → 20</c>.</summary>
    internal static IEnumerable<string> Lines(JsonElement change)
    {
        var kind = change.GetProperty("kind").GetString();
        var id = change.GetProperty("id").GetString();
        var service = change.TryGetProperty("service", out var owner) && owner.ValueKind == JsonValueKind.String ? owner.GetString() : null;

        // A service's own policy is named by the service already; anything else inside a service names it in parentheses.
        var of = service is null || kind == "policy" ? "" : $" ({service})";
        switch (change.GetProperty("change").GetString())
        {
            case "added":
                yield return $"+ {kind} {id}{of}";
                break;
            case "removed":
                yield return $"- {kind} {id}{of}";
                break;
            case "reordered":
                var order = change.GetProperty("fields")[0];
                yield return $"~ {kind} order{of}: {Value(order.GetProperty("from"))} → {Value(order.GetProperty("to"))}";
                break;
            default:
                foreach (var field in change.GetProperty("fields").EnumerateArray())
                {
                    yield return $"~ {kind} {id}{of} {Field(field)}";
                }

                break;
        }
    }

    private static string Field(JsonElement field)
    {
        var path = field.GetProperty("path").GetString();
        var from = field.GetProperty("from");
        var to = field.GetProperty("to");
        if (field.TryGetProperty("redacted", out var redacted) && redacted.ValueKind == JsonValueKind.True)
        {
            // Never a value, not even the sealed one: only whether the secret came, went or changed.
            var what = from.ValueKind == JsonValueKind.Null ? "set" : to.ValueKind == JsonValueKind.Null ? "removed" : "changed";
            return $"{path}: {what}";
        }

        return $"{path}: {Value(from)} → {Value(to)}";
    }

    private static string Value(JsonElement value) => value.ValueKind == JsonValueKind.Null ? "(none)" : value.GetRawText();

    /// <summary>Prints the admin's 400: each problem as <c>FILE: entry: message</c>, then a count; exit 1.</summary>
    private static int PrintRefusal(string path, string group, string body)
    {
        var count = 0;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in errors.EnumerateObject())
                {
                    foreach (var message in entry.Value.EnumerateArray())
                    {
                        System.Console.Error.WriteLine($"{path}: {entry.Name}: {message.GetString()}");
                        count++;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not problem JSON: the summary below still says what happened.
        }

        System.Console.Error.WriteLine(count == 0
            ? $"{path}: the admin refused it for group '{group}': {AdminApiClient.Detail(body)}"
            : $"{path}: the admin refused it for group '{group}', {ValidateCommand.Count(count, "problem")}");
        return 1;
    }
}
