using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Admin.Api;

/// <summary>A request body read as a config entry, with the optional <c>revision</c> it carried.</summary>
internal sealed record ParsedBody<T>(T? Value, long? Revision, ValidationProblem? Invalid)
    where T : class;

/// <summary>
/// Reads config entries from request bodies with the config model's own rules (<see cref="ConfigSerializer"/>: unknown
/// keys rejected, enums as strings, every shape problem reported at once), not the looser web JSON defaults.
/// </summary>
/// <remarks>
/// The body is wrapped into a one-entry <see cref="GatewayConfig"/> (e.g. <c>{"services":[body]}</c>) and read by
/// <see cref="ConfigSerializer.Deserialize"/>, so shape errors carry the same entry paths as the declarative file.
/// </remarks>
internal static class RequestBodies
{
    private const int MaxBodyBytes = 4 * 1024 * 1024;

    private static readonly JsonDocumentOptions _documentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The whole body as UTF-8 text, or null when it is too large.</summary>
    public static async Task<string?> ReadTextAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(request, cancellationToken);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The whole body, or null when it is larger than the admin accepts.</summary>
    public static async Task<byte[]?> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads the body as one config entry under <paramref name="property"/> and picks it out of the parsed config.</summary>
    /// <param name="request">The request whose JSON body is the entry.</param>
    /// <param name="property">Top-level config property the entry belongs under, e.g. <c>services</c>.</param>
    /// <param name="list">Whether that property is a list.</param>
    /// <param name="pick">Picks the entry back out of the parsed config.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <param name="innerList">For a part of a service (<c>nodes</c>, <c>apis</c>): the service's list the entry belongs in.</param>
    public static async Task<ParsedBody<T>> ReadEntryAsync<T>(HttpRequest request, string property, bool list,
        Func<GatewayConfig, T?> pick, CancellationToken cancellationToken, string? innerList = null)
        where T : class
    {
        var text = await ReadTextAsync(request, cancellationToken);
        if (text is null)
        {
            return new ParsedBody<T>(null, null, Problems.InvalidField("body", $"the body is larger than {MaxBodyBytes} bytes"));
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: _documentOptions);
        }
        catch (JsonException ex)
        {
            return new ParsedBody<T>(null, null, Problems.InvalidField("body", $"not valid JSON: {ex.Message}"));
        }

        if (node is not JsonObject body)
        {
            return new ParsedBody<T>(null, null, Problems.InvalidField("body", "expected a JSON object"));
        }

        long? revision = null;
        if (body.TryGetPropertyValue("revision", out var revisionNode))
        {
            if (revisionNode is not JsonValue value || !value.TryGetValue<long>(out var parsed))
            {
                return new ParsedBody<T>(null, null, Problems.InvalidField("revision", "must be a whole number"));
            }

            revision = parsed;
            body.Remove("revision");
        }

        JsonNode entry = innerList is null ? body : new JsonObject { [innerList] = new JsonArray(body) };
        var wrapper = new JsonObject { [property] = list ? new JsonArray(entry) : entry };
        try
        {
            var config = ConfigSerializer.Deserialize(wrapper.ToJsonString(), "request");
            return new ParsedBody<T>(pick(config), revision, null);
        }
        catch (ConfigException ex)
        {
            return new ParsedBody<T>(null, revision, Problems.Invalid(ex.Errors));
        }
    }

    /// <summary>An optional body that carries only <c>{"revision": n}</c>, for actions such as taking a node offline.</summary>
    public static async Task<ParsedBody<string>> ReadRevisionOnlyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var text = await ReadTextAsync(request, cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return new ParsedBody<string>(null, null, null);
        }

        try
        {
            if (JsonNode.Parse(text, documentOptions: _documentOptions) is JsonObject body
                && (!body.TryGetPropertyValue("revision", out var node) || node is JsonValue value && value.TryGetValue<long>(out _)))
            {
                return new ParsedBody<string>(null, body["revision"]?.GetValue<long>(), null);
            }
        }
        catch (JsonException)
        {
        }

        return new ParsedBody<string>(null, null, Problems.InvalidField("body", "expected nothing or {\"revision\": <whole number>}"));
    }

    /// <summary>
    /// The body of a <c>PUT</c> to a named list entry (a service, an app): the entry, given the URL's name when the body
    /// leaves it out, and the revision the change is based on (<see cref="TryGetRevision"/>) as its
    /// <see cref="ParsedBody{T}.Revision"/>. A body naming another entry is refused: renaming is delete and create.
    /// </summary>
    /// <param name="nameField">The entry's name field, for the problem a rename gets (e.g. <c>appKey</c>).</param>
    /// <param name="name">The name in the URL.</param>
    public static async Task<ParsedBody<T>> ReadReplacementAsync<T>(HttpRequest request, string property,
        Func<GatewayConfig, T?> pick, string nameField, string name, Func<T, string> nameOf, Func<T, string, T> withName,
        CancellationToken cancellationToken)
        where T : class
    {
        var body = await ReadEntryAsync(request, property, list: true, pick, cancellationToken);
        if (body.Invalid is not null)
        {
            return body;
        }

        if (!TryGetRevision(request, body.Revision, out var revision, out var badRevision))
        {
            return new ParsedBody<T>(null, null, badRevision);
        }

        var entry = nameOf(body.Value!).Length == 0 ? withName(body.Value!, name) : body.Value!;
        return nameOf(entry) == name
            ? new ParsedBody<T>(entry, revision, null)
            : new ParsedBody<T>(null, null, Problems.InvalidField(nameField,
                $"the body names '{nameOf(entry)}' but the URL names '{name}'; renaming is not supported"));
    }

    /// <summary>
    /// The revision the caller based its change on: <c>If-Match: "n"</c> first, else the body's <c>revision</c>.
    /// Returns false with a problem when <c>If-Match</c> is present but not a revision.
    /// </summary>
    public static bool TryGetRevision(HttpRequest request, long? bodyRevision, out long? revision, out ValidationProblem? invalid)
    {
        invalid = null;
        revision = bodyRevision;
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0)
        {
            return true;
        }

        var tag = header.Trim();
        if (tag.StartsWith("W/", StringComparison.Ordinal))
        {
            tag = tag[2..];
        }

        if (long.TryParse(tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            revision = parsed;
            return true;
        }

        invalid = Problems.InvalidField("If-Match", "expected a revision as an entity tag, e.g. \"3\"");
        return false;
    }

    /// <summary>Null when <paramref name="given"/> matches; 428 when it is missing, 409 when it is stale.</summary>
    public static ProblemHttpResult? CheckRevision(long? given, long current, string what) => given switch
    {
        null => Problems.PreconditionRequired(
            $"updating {what} requires its revision (If-Match: \"{current}\" header or \"revision\" in the body)"),
        _ when given.Value != current => Problems.Stale(what, current, given.Value),
        _ => null,
    };

    /// <summary>Checks <c>offset</c>/<c>limit</c> (defaults 0 and 50, limit 1..500).</summary>
    public static ValidationProblem? CheckPaging(int? offset, int? limit, out int skip, out int take)
    {
        skip = offset ?? 0;
        take = limit ?? 50;
        if (skip < 0)
        {
            return Problems.InvalidField("offset", "must be 0 or greater");
        }

        return take is < 1 or > 500 ? Problems.InvalidField("limit", "must be between 1 and 500") : null;
    }
}
