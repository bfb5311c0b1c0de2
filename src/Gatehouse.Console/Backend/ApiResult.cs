namespace Gatehouse.Console.Backend;

/// <summary>
/// A refused API call as the console shows it: the status, the API's own words (<c>detail</c>), the field errors of a
/// validation problem keyed as the API keys them, and for a stale-revision conflict who changed the entry meanwhile.
/// </summary>
public sealed record ApiProblem(int Status, string Title, string Detail, IReadOnlyDictionary<string, string[]> Errors,
    string? Code = null, string? ChangedBy = null)
{
    /// <summary>A 409 because the entry changed since it was read.</summary>
    public bool IsStale => Code == "stale_revision";

    /// <summary>The messages of the field errors whose key is <paramref name="field"/> or ends with <c>.field</c>.</summary>
    public IEnumerable<string> For(string field) => Errors
        .Where(e => e.Key == field || e.Key.EndsWith("." + field, StringComparison.Ordinal))
        .SelectMany(e => e.Value);

    /// <summary>Every message in one line per error, for the page's summary.</summary>
    public IEnumerable<string> Lines() => Errors.Count == 0
        ? [Detail]
        : Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"));
}

/// <summary>What an API call returned: the value (and its revision ETag), or the problem.</summary>
public sealed record ApiResult<T>(T? Value, ApiProblem? Problem, long? ETagRevision = null)
{
    public bool Ok => Problem is null;
}
