using System.Buffers;
using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Matching;

/// <summary>
/// The API matcher of one service, compiled once per snapshot: an exact-path dictionary, a template trie, a
/// wildcard trie (wildcard and prefix APIs) and an ordered regex list, tried strictly in that order.
/// </summary>
/// <remarks>
/// <para>
/// Exact: the request path equals the pattern (ordinal); one trailing <c>/</c> on either side is ignored except for
/// the root <c>/</c>. Empty segments in the request path are collapsed before the lookup (<c>/a//b</c> finds
/// <c>/a/b</c>), the same way the tries skip them, so a doubled slash cannot steer a request past its exact API to a
/// template or wildcard API that carries a different policy.
/// </para>
/// <para>
/// Template and wildcard: see <see cref="PathTrie"/>. A prefix pattern <c>P</c> is stored as <c>P/**</c>.
/// Regex: <c>^(?:pattern)$</c> with <see cref="ApiPathSyntax.RegexOptionsForApis"/>, tried in config order on the
/// raw path.
/// </para>
/// <para>
/// In every tier an API whose methods exclude the request's method does not count and the search goes on. An empty
/// request path is treated as <c>/</c>. <see cref="Match"/> does not allocate and takes no locks; its cost depends
/// on the path's depth, not on the number of APIs (except for the regex list).
/// </para>
/// </remarks>
internal sealed class ApiMatcher : IApiMatcher
{
    // Paths with '//' up to this length are collapsed on the stack; longer ones use a pooled buffer.
    private const int StackCollapseLimit = 512;

    private readonly bool _hasExact;
    private readonly FrozenDictionary<string, ApiModel[]>.AlternateLookup<ReadOnlySpan<char>> _exact;
    private readonly PathTrie? _templates;
    private readonly PathTrie? _wildcards;
    private readonly Regex[] _regexes;
    private readonly ApiModel[] _regexApis;

    /// <summary>Compiles the matcher for <paramref name="apis"/>, given in config order.</summary>
    /// <param name="apis">
    /// The service's APIs. Each pattern must be valid per <see cref="ApiPathSyntax.Check"/>; a kind of
    /// <see cref="MatchKind.Auto"/> is resolved with <see cref="ApiPathSyntax.Resolve"/>.
    /// </param>
    public ApiMatcher(IReadOnlyList<ApiModel> apis)
    {
        ArgumentNullException.ThrowIfNull(apis);

        var exact = new Dictionary<string, List<ApiModel>>(StringComparer.Ordinal);
        var templates = new PathTrie.Builder();
        var wildcards = new PathTrie.Builder();
        var regexes = new List<Regex>();
        var regexApis = new List<ApiModel>();

        for (var i = 0; i < apis.Count; i++)
        {
            var api = apis[i];
            ArgumentNullException.ThrowIfNull(api);
            switch (ApiPathSyntax.Resolve(api.Kind, api.Path))
            {
                case MatchKind.Exact:
                    var key = TrimTrailingSlash(api.Path.AsSpan()).ToString();
                    if (!exact.TryGetValue(key, out var list))
                    {
                        list = [];
                        exact.Add(key, list);
                    }

                    list.Add(api);
                    break;
                case MatchKind.Template:
                    templates.Add(api.Path, catchAllBelow: false, api);
                    break;
                case MatchKind.Wildcard:
                    wildcards.Add(api.Path, catchAllBelow: false, api);
                    break;
                case MatchKind.Prefix:
                    wildcards.Add(api.Path, catchAllBelow: true, api);
                    break;
                case MatchKind.Regex:
                    // Built here, never per request; the non-backtracking engine bounds the cost of hostile paths.
                    regexes.Add(new Regex("^(?:" + api.Path + ")$", ApiPathSyntax.RegexOptionsForApis));
                    regexApis.Add(api);
                    break;
                default:
                    throw new ArgumentException($"API '{api}' has unsupported match kind {api.Kind}.", nameof(apis));
            }
        }

        if (exact.Count > 0)
        {
            _hasExact = true;
            _exact = exact
                .ToFrozenDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal)
                .GetAlternateLookup<ReadOnlySpan<char>>();
        }

        _templates = templates.IsEmpty ? null : templates.Build();
        _wildcards = wildcards.IsEmpty ? null : wildcards.Build();
        _regexes = [.. regexes];
        _regexApis = [.. regexApis];
    }

    /// <inheritdoc/>
    public ApiModel? Match(string method, ReadOnlySpan<char> path)
    {
        if (path.IsEmpty)
        {
            path = "/";
        }

        if (_hasExact)
        {
            var api = path.IndexOf("//", StringComparison.Ordinal) < 0
                ? FirstAllowed(method, TrimTrailingSlash(path))
                : MatchExactCollapsed(method, path);
            if (api is not null)
            {
                return api;
            }
        }

        return _templates?.Match(method, path)
            ?? _wildcards?.Match(method, path)
            ?? MatchRegex(method, path);
    }

    private ApiModel? FirstAllowed(string method, ReadOnlySpan<char> key)
    {
        if (!_exact.TryGetValue(key, out var apis))
        {
            return null;
        }

        for (var i = 0; i < apis.Length; i++)
        {
            if (apis[i].AllowsMethod(method))
            {
                return apis[i];
            }
        }

        return null;
    }

    // Kept out of Match so the common path (no '//') carries no stackalloc or pool code.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ApiModel? MatchExactCollapsed(string method, ReadOnlySpan<char> path)
    {
        char[]? rented = null;
        Span<char> buffer = path.Length <= StackCollapseLimit
            ? stackalloc char[StackCollapseLimit]
            : (rented = ArrayPool<char>.Shared.Rent(path.Length));
        try
        {
            var length = 0;
            for (var i = 0; i < path.Length; i++)
            {
                if (path[i] == '/' && length > 0 && buffer[length - 1] == '/')
                {
                    continue;
                }

                buffer[length++] = path[i];
            }

            return FirstAllowed(method, TrimTrailingSlash(buffer[..length]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private ApiModel? MatchRegex(string method, ReadOnlySpan<char> path)
    {
        var regexes = _regexes;
        for (var i = 0; i < regexes.Length; i++)
        {
            // Methods first: a cheap reference compare can spare a regex run.
            if (_regexApis[i].AllowsMethod(method) && regexes[i].IsMatch(path))
            {
                return _regexApis[i];
            }
        }

        return null;
    }

    private static ReadOnlySpan<char> TrimTrailingSlash(ReadOnlySpan<char> path) =>
        path.Length > 1 && path[^1] == '/' ? path[..^1] : path;
}
