using Gatehouse.Core.Config;
using Gatehouse.Gateway.Matching;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Matching;

public class ApiMatcherTests
{
    // :: Each kind on its own

    [Theory]
    [InlineData("/a/b", "/a/b", true)]
    [InlineData("/a/b", "/a/b/", true)]
    [InlineData("/a/b/", "/a/b", true)]
    [InlineData("/a/b/", "/a/b/", true)]
    [InlineData("/a/b", "/a/b//", true)]
    [InlineData("/a/b", "/a//b", true)]
    [InlineData("/a/b", "//a/b", true)]
    [InlineData("/a/b", "/A/b", false)]
    [InlineData("/a/b", "/a/bc", false)]
    [InlineData("/a/b", "/a", false)]
    [InlineData("/a/b", "/a/b/c", false)]
    [InlineData("/", "/", true)]
    [InlineData("/", "", true)]
    [InlineData("/", "//", true)]
    [InlineData("/a", "/", false)]
    [InlineData("/", "/a", false)]
    public void Match_Exact_MatchesWholePathIgnoringOneTrailingSlash(string pattern, string request, bool matches)
    {
        var matcher = Matcher(Api("e", pattern, MatchKind.Exact));

        Assert.Equal(matches ? "e" : null, matcher.Match("GET", request)?.Id);
    }

    [Fact]
    public void Match_ExactWithDoubleSlashBeyondStackBuffer_StillCollapses()
    {
        var deep = "/" + string.Join('/', Enumerable.Range(0, 200).Select(i => "s" + i));
        var matcher = Matcher(Api("deep", deep, MatchKind.Exact));

        Assert.Equal("deep", matcher.Match("GET", deep.Replace("/", "//"))?.Id);
        Assert.Null(matcher.Match("GET", deep.Replace("/s199", "//s19")));
    }

    [Theory]
    [InlineData("/users/{id}", "/users/42", true)]
    [InlineData("/users/{id}", "/users/42/", true)]
    [InlineData("/users/{id}", "/users//42", true)]
    [InlineData("/users/{id}", "/users", false)]
    [InlineData("/users/{id}", "/users/", false)]
    [InlineData("/users/{id}", "/users/42/x", false)]
    [InlineData("/users/{id}", "/Users/42", false)]
    [InlineData("/users/{id}/orders", "/users/1/orders", true)]
    [InlineData("/users/{id}/orders", "/users/1/order", false)]
    [InlineData("/users/{id}/orders/{orderId}", "/users/1/orders/2", true)]
    [InlineData("/{a}/{b}", "/x/y", true)]
    [InlineData("/{a}", "/", false)]
    [InlineData("/{a}", "", false)]
    public void Match_Template_ParamMatchesExactlyOneSegment(string pattern, string request, bool matches)
    {
        var matcher = Matcher(Api("t", pattern, MatchKind.Template));

        Assert.Equal(matches ? "t" : null, matcher.Match("GET", request)?.Id);
    }

    [Theory]
    [InlineData("/files/*", "/files/a", true)]
    [InlineData("/files/*", "/files", false)]
    [InlineData("/files/*", "/files/a/b", false)]
    [InlineData("/files/**", "/files", true)]
    [InlineData("/files/**", "/files/", true)]
    [InlineData("/files/**", "/files/a/b/c", true)]
    [InlineData("/files/**", "/filesx", false)]
    [InlineData("/files/**", "/other/files", false)]
    [InlineData("/**", "/", true)]
    [InlineData("/**", "", true)]
    [InlineData("/**", "/any/thing/at/all", true)]
    [InlineData("/a/*/c", "/a/b/c", true)]
    [InlineData("/a/*/c", "/a/b/d", false)]
    [InlineData("/a/{x}/**", "/a/b", true)]
    [InlineData("/a/{x}/**", "/a", false)]
    [InlineData("/a/*/**", "/a/b/c/d", true)]
    public void Match_Wildcard_StarIsOneSegmentDoubleStarIsZeroOrMore(string pattern, string request, bool matches)
    {
        var matcher = Matcher(Api("w", pattern, MatchKind.Wildcard));

        Assert.Equal(matches ? "w" : null, matcher.Match("GET", request)?.Id);
    }

    [Theory]
    [InlineData("/a", "/a", true)]
    [InlineData("/a", "/a/", true)]
    [InlineData("/a", "/a/b/c", true)]
    [InlineData("/a", "/ab", false)]
    [InlineData("/a", "/ab/c", false)]
    [InlineData("/a", "/", false)]
    [InlineData("/a", "/b/a", false)]
    [InlineData("/a/", "/a/b", true)]
    [InlineData("/a/b", "/a/bc", false)]
    [InlineData("/a/b", "/a", false)]
    [InlineData("/", "/", true)]
    [InlineData("/", "/x/y", true)]
    public void Match_Prefix_MatchesOnlyAtSegmentBoundary(string pattern, string request, bool matches)
    {
        var matcher = Matcher(Api("p", pattern, MatchKind.Prefix));

        Assert.Equal(matches ? "p" : null, matcher.Match("GET", request)?.Id);
    }

    [Theory]
    [InlineData("/items/[0-9]+", "/items/42", true)]
    [InlineData("/items/[0-9]+", "/items/42/x", false)]
    [InlineData("/items/[0-9]+", "/x/items/42", false)]
    [InlineData("/items/[0-9]+", "/items/", false)]
    [InlineData("/a|/b", "/b", true)]
    [InlineData("/a|/b", "/ab", false)]
    [InlineData("/a|/b", "/xb", false)]
    [InlineData("/.*", "", true)]
    [InlineData("/A", "/a", false)]
    public void Match_Regex_MustMatchWholePath(string pattern, string request, bool matches)
    {
        var matcher = Matcher(Api("r", pattern, MatchKind.Regex));

        Assert.Equal(matches ? "r" : null, matcher.Match("GET", request)?.Id);
    }

    [Theory]
    [InlineData(false, "first")]
    [InlineData(true, "second")]
    public void Match_SeveralRegexesMatch_FirstInConfigOrderWins(bool swap, string expected)
    {
        var first = Api("first", "/x/.*", MatchKind.Regex);
        var second = Api("second", "/x/[a-z]+", MatchKind.Regex);
        var matcher = swap ? Matcher(second, first) : Matcher(first, second);

        Assert.Equal(expected, matcher.Match("GET", "/x/abc")?.Id);
    }

    // :: Precedence between tiers: the lower tier is listed first in config and would also match.

    [Theory]
    [InlineData(MatchKind.Template, "/a/{x}", MatchKind.Exact, "/a/b", "/a/b")]
    [InlineData(MatchKind.Wildcard, "/a/*", MatchKind.Exact, "/a/b", "/a/b")]
    [InlineData(MatchKind.Prefix, "/a", MatchKind.Exact, "/a/b", "/a/b")]
    [InlineData(MatchKind.Regex, "/a/b", MatchKind.Exact, "/a/b", "/a/b")]
    [InlineData(MatchKind.Wildcard, "/a/*", MatchKind.Template, "/a/{x}", "/a/b")]
    [InlineData(MatchKind.Wildcard, "/a/b/**", MatchKind.Template, "/{x}/b", "/a/b")]
    [InlineData(MatchKind.Prefix, "/a/b", MatchKind.Template, "/{x}/{y}", "/a/b")]
    [InlineData(MatchKind.Regex, "/a/b", MatchKind.Template, "/a/{x}", "/a/b")]
    [InlineData(MatchKind.Regex, "/a/b", MatchKind.Wildcard, "/a/*", "/a/b")]
    [InlineData(MatchKind.Regex, "/a/b", MatchKind.Prefix, "/a", "/a/b")]
    public void Match_LowerTierAlsoMatches_HigherTierWins(
        MatchKind lowerKind, string lowerPath, MatchKind higherKind, string higherPath, string request)
    {
        var matcher = Matcher(Api("lower", lowerPath, lowerKind), Api("higher", higherPath, higherKind));

        Assert.Equal("higher", matcher.Match("GET", request)?.Id);
    }

    [Theory]
    [InlineData("/a/c/d", "prefix")]
    [InlineData("/b", "regex")]
    [InlineData("/a/c", "template")]
    [InlineData("/a/b", "exact")]
    public void Match_AllTiersPresent_FallsToFirstTierThatMatches(string request, string expected)
    {
        var matcher = Matcher(
            Api("regex", "/.*", MatchKind.Regex),
            Api("prefix", "/a", MatchKind.Prefix),
            Api("wildcard", "/a/*", MatchKind.Wildcard),
            Api("template", "/a/{x}", MatchKind.Template),
            Api("exact", "/a/b", MatchKind.Exact));

        Assert.Equal(expected, matcher.Match("GET", request)?.Id);
    }

    // :: Precedence within a trie; patterns double as ids and are listed least specific first.

    [Theory]
    [InlineData("/a/**,/a/*,/a/{x},/a/b", "/a/b", "/a/b")]
    [InlineData("/a/**,/a/*,/a/{x},/a/b", "/a/z", "/a/{x}")]
    [InlineData("/a/**,/a/*,/a/b", "/a/z", "/a/*")]
    [InlineData("/a/**,/a/*,/a/{x},/a/b", "/a", "/a/**")]
    [InlineData("/a/**,/a/*,/a/{x},/a/b", "/a/b/c", "/a/**")]
    [InlineData("/a/{x}/**,/a/b/**", "/a/b/c", "/a/b/**")]
    public void Match_WildcardTrie_LiteralBeatsParamBeatsStarBeatsDoubleStar(string patterns, string request, string expected)
    {
        var matcher = Matcher(patterns.Split(',').Select(p => Api(p, p, MatchKind.Wildcard)).ToArray());

        Assert.Equal(expected, matcher.Match("GET", request)?.Id);
    }

    [Theory]
    [InlineData("/a/{x},/a/b", "/a/b", "/a/b")]
    [InlineData("/a/{x},/a/b", "/a/c", "/a/{x}")]
    [InlineData("/{x}/{y},/{x}/b,/a/{y}", "/a/b", "/a/{y}")]
    public void Match_TemplateTrie_LiteralBeatsParam(string patterns, string request, string expected)
    {
        var matcher = Matcher(patterns.Split(',').Select(p => Api(p, p, MatchKind.Template)).ToArray());

        Assert.Equal(expected, matcher.Match("GET", request)?.Id);
    }

    [Theory]
    [InlineData(MatchKind.Template, "/a/{x}/c,/a/b/d", "/a/b/c", "/a/{x}/c")]
    [InlineData(MatchKind.Template, "/a/{x}/c,/a/b/d", "/a/b/d", "/a/b/d")]
    [InlineData(MatchKind.Template, "/{x}/{y}/z,/a/b/c", "/a/b/z", "/{x}/{y}/z")]
    [InlineData(MatchKind.Wildcard, "/a/b/c/d,/a/*/c/e,/a/**", "/a/b/c/e", "/a/*/c/e")]
    [InlineData(MatchKind.Wildcard, "/a/b/c/d,/a/*/c/e,/a/**", "/a/b/c/x", "/a/**")]
    [InlineData(MatchKind.Wildcard, "/a/b/c/d,/a/*/c/e,/a/b/**", "/a/b/c/e", "/a/b/**")]
    [InlineData(MatchKind.Wildcard, "/a/b/c,/a/{x}/d,/a/*/e", "/a/b/e", "/a/*/e")]
    public void Match_DeeperLevelFails_BacktracksToNextAlternative(MatchKind kind, string patterns, string request, string expected)
    {
        var matcher = Matcher(patterns.Split(',').Select(p => Api(p, p, kind)).ToArray());

        Assert.Equal(expected, matcher.Match("GET", request)?.Id);
    }

    // :: Methods

    [Theory]
    [InlineData(MatchKind.Exact, "/a", "GET", "get")]
    [InlineData(MatchKind.Exact, "/a", "POST", "post")]
    [InlineData(MatchKind.Exact, "/a", "post", "post")]
    [InlineData(MatchKind.Exact, "/a", "DELETE", null)]
    [InlineData(MatchKind.Template, "/a/{x}", "GET", "get")]
    [InlineData(MatchKind.Template, "/a/{x}", "POST", "post")]
    [InlineData(MatchKind.Template, "/a/{x}", "PUT", null)]
    [InlineData(MatchKind.Wildcard, "/a/**", "POST", "post")]
    [InlineData(MatchKind.Prefix, "/a", "POST", "post")]
    [InlineData(MatchKind.Prefix, "/a", "PUT", null)]
    [InlineData(MatchKind.Regex, "/a.*", "POST", "post")]
    [InlineData(MatchKind.Regex, "/a.*", "PUT", null)]
    public void Match_SamePatternDifferentMethods_PicksTheApiAllowingTheMethod(MatchKind kind, string pattern, string method, string? expected)
    {
        var matcher = Matcher(Api("get", pattern, kind, "GET"), Api("post", pattern, kind, "POST"));
        var request = kind == MatchKind.Template ? "/a/1" : "/a";

        Assert.Equal(expected, matcher.Match(method, request)?.Id);
    }

    [Theory]
    [InlineData(MatchKind.Exact, "/a")]
    [InlineData(MatchKind.Template, "/{x}")]
    [InlineData(MatchKind.Wildcard, "/*")]
    public void Match_SeveralApisAllowTheMethod_FirstInConfigOrderWins(MatchKind kind, string pattern)
    {
        var matcher = Matcher(Api("any", pattern, kind), Api("get", pattern, kind, "GET"));

        Assert.Equal("any", matcher.Match("GET", "/a")?.Id);
    }

    [Theory]
    [InlineData("POST", "template")]
    [InlineData("PUT", "wildcard")]
    [InlineData("PATCH", "regex")]
    [InlineData("GET", "exact")]
    [InlineData("DELETE", null)]
    public void Match_HigherTierExcludesMethod_FallsThroughToLowerTier(string method, string? expected)
    {
        var matcher = Matcher(
            Api("regex", "/a/b", MatchKind.Regex, "PATCH"),
            Api("wildcard", "/a/*", MatchKind.Wildcard, "PUT"),
            Api("template", "/a/{x}", MatchKind.Template, "POST"),
            Api("exact", "/a/b", MatchKind.Exact, "GET"));

        Assert.Equal(expected, matcher.Match(method, "/a/b")?.Id);
    }

    [Theory]
    [InlineData(MatchKind.Template, "/a/b,/a/{x}", "POST", "/a/{x}")]
    [InlineData(MatchKind.Wildcard, "/a/b,/a/{x}", "POST", "/a/{x}")]
    [InlineData(MatchKind.Wildcard, "/a/b,/a/*", "POST", "/a/*")]
    [InlineData(MatchKind.Wildcard, "/a/b,/a/**", "POST", "/a/**")]
    [InlineData(MatchKind.Wildcard, "/a/b,/a/**", "GET", "/a/b")]
    public void Match_LiteralExcludesMethod_TriesNextTrieAlternative(MatchKind kind, string patterns, string method, string expected)
    {
        var split = patterns.Split(',');
        var matcher = Matcher(Api(split[0], split[0], kind, "GET"), Api(split[1], split[1], kind));

        Assert.Equal(expected, matcher.Match(method, "/a/b")?.Id);
    }

    // :: Misses and construction

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/nothing/here")]
    [InlineData("/a/b/c/d/e")]
    public void Match_NothingMatches_ReturnsNull(string request)
    {
        var matcher = Matcher(
            Api("exact", "/a", MatchKind.Exact),
            Api("template", "/a/{x}", MatchKind.Template),
            Api("wildcard", "/a/*/c", MatchKind.Wildcard),
            Api("prefix", "/b", MatchKind.Prefix),
            Api("regex", "/r/[0-9]+", MatchKind.Regex));

        Assert.Null(matcher.Match("GET", request));
    }

    [Fact]
    public void Match_NoApis_ReturnsNull()
    {
        Assert.Null(new ApiMatcher([]).Match("GET", "/"));
    }

    [Theory]
    [InlineData("/a/{x}", "/a/1")]
    [InlineData("/a/*", "/a/1")]
    [InlineData("/a", "/a")]
    public void Ctor_AutoKind_IsResolvedFromThePattern(string pattern, string request)
    {
        var matcher = Matcher(Api("auto", pattern, MatchKind.Auto));

        Assert.Equal("auto", matcher.Match("GET", request)?.Id);
    }

    [Fact]
    public void Ctor_UnknownKind_Throws()
    {
        Assert.Throws<ArgumentException>(() => Matcher(Api("x", "/a", (MatchKind)99)));
    }

    [Fact]
    public void Match_TenThousandApis_EachFindsItsOwnApi()
    {
        var apis = new List<ApiModel>();
        var requests = new List<string>();
        for (var i = 0; i < 10_000; i++)
        {
            switch (i % 4)
            {
                case 0:
                    apis.Add(Api("e" + i, $"/svc/e{i}/list", MatchKind.Exact));
                    requests.Add($"/svc/e{i}/list");
                    break;
                case 1:
                    apis.Add(Api("t" + i, $"/svc/t{i}/{{id}}/lines/{{line}}", MatchKind.Template));
                    requests.Add($"/svc/t{i}/7/lines/8");
                    break;
                case 2:
                    apis.Add(Api("w" + i, $"/svc/w{i}/*/files/**", MatchKind.Wildcard));
                    requests.Add($"/svc/w{i}/x/files/a/b");
                    break;
                default:
                    apis.Add(Api("p" + i, $"/svc/p{i}", MatchKind.Prefix));
                    requests.Add($"/svc/p{i}/deep/er");
                    break;
            }
        }

        var matcher = new ApiMatcher(apis);

        for (var i = 0; i < apis.Count; i++)
        {
            Assert.Same(apis[i], matcher.Match("GET", requests[i]));
        }
    }

    // :: Hot path

    [Theory]
    [InlineData("/orders/list")]
    [InlineData("/orders//list/")]
    [InlineData("/orders/42/lines/7")]
    [InlineData("/static/css/site.css")]
    [InlineData("/legacy/page")]
    [InlineData("/report/2024")]
    [InlineData("/nowhere/at/all")]
    public void Match_AfterWarmUp_DoesNotAllocate(string request)
    {
        var matcher = Matcher(
            Api("exact", "/orders/list", MatchKind.Exact, "GET"),
            Api("exact-other", "/orders/list", MatchKind.Exact, "POST"),
            Api("template", "/orders/{id}/lines/{line}", MatchKind.Template),
            Api("wildcard", "/static/*/**", MatchKind.Wildcard),
            Api("prefix", "/legacy", MatchKind.Prefix),
            Api("regex", "/report/[0-9]{4}", MatchKind.Regex));
        var method = HttpMethods.Get;
        var path = request.AsSpan();
        for (var i = 0; i < 1_000; i++)
        {
            matcher.Match(method, path);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            matcher.Match(method, path);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static ApiMatcher Matcher(params ApiModel[] apis) => new(apis);

    private static ApiModel Api(string id, string path, MatchKind kind, params string[] methods) =>
        new("svc", id, path, kind, methods.Length == 0 ? null : methods, EffectivePolicy.Default);
}
