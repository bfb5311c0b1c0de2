using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Matching;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Benchmarks.Matching;

/// <summary>
/// <see cref="ApiMatcher.Match"/> on one service with a growing number of APIs. The cost of each case should stay
/// flat across <see cref="ApiCount"/>: every tier but the regex list is a dictionary lookup per path segment.
/// </summary>
/// <remarks>
/// Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.
/// The mix is about 60% exact, 30% template and 10% wildcard/prefix APIs, plus four regex APIs that every miss
/// has to try.
/// </remarks>
[MemoryDiagnoser]
public class ApiMatcherBenchmarks
{
    private const string Method = "GET";

    private static readonly string[] _regexPatterns =
    [
        "/reports/[0-9]{4}/q[1-4]",
        @"/export/[a-z]+\.csv",
        "/v0/.*/raw",
        "/feeds/(rss|atom)",
    ];

    private ApiMatcher _matcher = null!;
    private string _exactPath = "";
    private string _templatePath = "";
    private string _wildcardPath = "";
    private string _missPath = "";

    /// <summary>Number of non-regex APIs in the service.</summary>
    [Params(10, 1000, 10000)]
    public int ApiCount { get; set; }

    /// <summary>Builds the service's APIs and picks a request for each case from the middle of its kind.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var exactCount = ApiCount * 6 / 10;
        var templateCount = ApiCount * 3 / 10;
        var otherCount = ApiCount - exactCount - templateCount;
        var apis = new List<ApiModel>(ApiCount + _regexPatterns.Length);

        for (var i = 0; i < exactCount; i++)
        {
            // Half of them are restricted to one method, as REST APIs usually are.
            apis.Add(Api($"e{i}", $"/api/v1/orders{i}/summary", MatchKind.Exact, i % 2 == 0 ? ["GET"] : null));
        }

        for (var i = 0; i < templateCount; i++)
        {
            apis.Add(Api($"t{i}", $"/api/v1/orders{i}/{{id}}/lines/{{line}}", MatchKind.Template, null));
        }

        for (var i = 0; i < otherCount; i++)
        {
            apis.Add(i % 2 == 0
                ? Api($"w{i}", $"/static/site{i}/*/assets/**", MatchKind.Wildcard, null)
                : Api($"p{i}", $"/legacy/app{i}", MatchKind.Prefix, null));
        }

        for (var i = 0; i < _regexPatterns.Length; i++)
        {
            apis.Add(Api($"r{i}", _regexPatterns[i], MatchKind.Regex, null));
        }

        _matcher = new ApiMatcher(apis);
        _exactPath = $"/api/v1/orders{exactCount / 2 / 2 * 2}/summary";
        _templatePath = $"/api/v1/orders{templateCount / 2}/12345/lines/7";
        _wildcardPath = $"/static/site{otherCount / 2 / 2 * 2}/v2/assets/css/site.css";
        _missPath = "/api/v1/unknown/thing/here";

        // A benchmark that silently measures a miss would look fast and flat for the wrong reason.
        Check(_exactPath, "e");
        Check(_templatePath, "t");
        Check(_wildcardPath, "w");
        if (_matcher.Match(Method, _missPath) is not null)
        {
            throw new InvalidOperationException($"'{_missPath}' must not match");
        }
    }

    /// <summary>A hit in the exact dictionary.</summary>
    [Benchmark]
    public ApiModel? ExactHit() => _matcher.Match(Method, _exactPath);

    /// <summary>A hit in the template trie, after an exact miss.</summary>
    [Benchmark]
    public ApiModel? TemplateHit() => _matcher.Match(Method, _templatePath);

    /// <summary>A hit in the wildcard trie, after exact and template misses.</summary>
    [Benchmark]
    public ApiModel? WildcardHit() => _matcher.Match(Method, _wildcardPath);

    /// <summary>No API matches: every tier is tried, including all regexes.</summary>
    [Benchmark]
    public ApiModel? Miss() => _matcher.Match(Method, _missPath);

    private void Check(string path, string idPrefix)
    {
        var api = _matcher.Match(Method, path);
        if (api is null || !api.Id.StartsWith(idPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"'{path}' matched {api?.Id ?? "nothing"}, expected a '{idPrefix}' API");
        }
    }

    private static ApiModel Api(string id, string path, MatchKind kind, string[]? methods) =>
        new("bench", id, path, kind, methods, EffectivePolicy.Default);
}
