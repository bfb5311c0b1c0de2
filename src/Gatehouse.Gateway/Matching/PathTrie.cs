using System.Collections.Frozen;
using System.Diagnostics;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Matching;

/// <summary>
/// Immutable segment trie over template and wildcard patterns (<c>literal</c>, <c>{name}</c>, <c>*</c>, trailing
/// <c>**</c>). Built once per snapshot by <see cref="Builder"/>; matching walks the request path span without
/// allocating.
/// </summary>
/// <remarks>
/// At each level the search tries the literal child, then the <c>{param}</c> child, then the <c>*</c> child, then
/// the APIs ending in <c>**</c>, and backtracks when a deeper level finds nothing. Every edge consumes exactly one
/// request segment, so a trie node is only ever reached with the same remaining path: each node is visited at most
/// once per request and a hostile path cannot make the search exponential.
/// </remarks>
internal sealed class PathTrie
{
    private readonly Node _root;

    private PathTrie(Node root)
    {
        _root = root;
    }

    /// <summary>
    /// Returns the first API (by the precedence above, then config order) whose pattern matches
    /// <paramref name="path"/> and whose methods allow <paramref name="method"/>, or null.
    /// </summary>
    /// <remarks>Empty segments (<c>//</c>, a trailing <c>/</c>) are skipped, so <c>/a//b/</c> walks as <c>/a/b</c>.</remarks>
    public ApiModel? Match(string method, ReadOnlySpan<char> path) => Find(_root, method, path, 0);

    private static ApiModel? Find(Node node, string method, ReadOnlySpan<char> path, int position)
    {
        while (position < path.Length && path[position] == '/')
        {
            position++;
        }

        if (position == path.Length)
        {
            // '**' also matches zero segments, after anything that ends exactly here.
            return FirstAllowed(node.Terminals, method) ?? FirstAllowed(node.CatchAll, method);
        }

        var length = path[position..].IndexOf('/');
        var end = length < 0 ? path.Length : position + length;
        ApiModel? found;

        if (node.HasLiterals && node.Literals.TryGetValue(path[position..end], out var literal))
        {
            found = Find(literal, method, path, end);
            if (found is not null)
            {
                return found;
            }
        }

        if (node.Param is not null)
        {
            found = Find(node.Param, method, path, end);
            if (found is not null)
            {
                return found;
            }
        }

        if (node.Star is not null)
        {
            found = Find(node.Star, method, path, end);
            if (found is not null)
            {
                return found;
            }
        }

        return FirstAllowed(node.CatchAll, method);
    }

    private static ApiModel? FirstAllowed(ApiModel[]? apis, string method)
    {
        if (apis is null)
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

    /// <summary>Frozen trie node. Fields rather than properties: this is read on every request.</summary>
    private sealed class Node
    {
        public readonly bool HasLiterals;
        public readonly FrozenDictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>> Literals;
        public readonly Node? Param;
        public readonly Node? Star;
        public readonly ApiModel[]? Terminals;
        public readonly ApiModel[]? CatchAll;

        public Node(Dictionary<string, Node>? literals, Node? param, Node? star, ApiModel[]? terminals, ApiModel[]? catchAll)
        {
            if (literals is { Count: > 0 })
            {
                HasLiterals = true;
                Literals = literals.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
            }

            Param = param;
            Star = star;
            Terminals = terminals;
            CatchAll = catchAll;
        }
    }

    /// <summary>Collects patterns in config order and freezes them into a <see cref="PathTrie"/>.</summary>
    internal sealed class Builder
    {
        private readonly BuildNode _root = new();

        /// <summary>True until the first pattern is added.</summary>
        public bool IsEmpty { get; private set; } = true;

        /// <summary>
        /// Adds <paramref name="api"/> under <paramref name="pattern"/>. With <paramref name="catchAllBelow"/> the
        /// pattern behaves as <c>pattern/**</c> (how a prefix API is stored).
        /// </summary>
        /// <remarks>Call in config order: APIs ending at the same node are tried in the order they were added.</remarks>
        public void Add(string pattern, bool catchAllBelow, ApiModel api)
        {
            ArgumentNullException.ThrowIfNull(pattern);
            ArgumentNullException.ThrowIfNull(api);

            var node = _root;
            var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < segments.Length; i++)
            {
                var segment = segments[i];
                if (segment == "**")
                {
                    // ApiPathSyntax.Check only allows '**' last; stop here rather than build an unreachable branch.
                    Debug.Assert(i == segments.Length - 1, "'**' must be the last segment");
                    (node.CatchAll ??= []).Add(api);
                    IsEmpty = false;
                    return;
                }

                node = node.Child(segment);
            }

            if (catchAllBelow)
            {
                (node.CatchAll ??= []).Add(api);
            }
            else
            {
                (node.Terminals ??= []).Add(api);
            }

            IsEmpty = false;
        }

        /// <summary>Freezes the collected patterns. The builder must not be used afterwards.</summary>
        public PathTrie Build() => new(_root.Freeze());
    }

    private sealed class BuildNode
    {
        private Dictionary<string, BuildNode>? _literals;
        private BuildNode? _param;
        private BuildNode? _star;

        public List<ApiModel>? Terminals;
        public List<ApiModel>? CatchAll;

        public BuildNode Child(string segment)
        {
            if (segment == "*")
            {
                return _star ??= new BuildNode();
            }

            if (IsParam(segment))
            {
                // Parameter names do not affect matching: /a/{x} and /a/{y} share one node, config order decides.
                return _param ??= new BuildNode();
            }

            _literals ??= new Dictionary<string, BuildNode>(StringComparer.Ordinal);
            if (!_literals.TryGetValue(segment, out var child))
            {
                child = new BuildNode();
                _literals.Add(segment, child);
            }

            return child;
        }

        public Node Freeze()
        {
            Dictionary<string, Node>? literals = null;
            if (_literals is not null)
            {
                literals = new Dictionary<string, Node>(_literals.Count, StringComparer.Ordinal);
                foreach (var (segment, child) in _literals)
                {
                    literals.Add(segment, child.Freeze());
                }
            }

            return new Node(literals, _param?.Freeze(), _star?.Freeze(), Terminals?.ToArray(), CatchAll?.ToArray());
        }

        private static bool IsParam(string segment) => segment.Length > 2 && segment[0] == '{' && segment[^1] == '}';
    }
}
