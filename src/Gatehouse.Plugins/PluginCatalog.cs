using System.Collections.Frozen;
using Gatehouse.Plugins.BuiltIn;
using Gatehouse.Plugins.BuiltIn.Aggregate;
using Gatehouse.Plugins.BuiltIn.Cache;

namespace Gatehouse.Plugins;

/// <summary>
/// The filter factories a process knows, by name. Config validation looks names and settings up here, and the
/// gateway creates filters from it when it compiles a snapshot; both use the same catalog, so what validates is
/// what runs.
/// </summary>
public sealed class PluginCatalog
{
    private readonly FrozenDictionary<string, IGatewayPluginFactory> _factories;

    private PluginCatalog(FrozenDictionary<string, IGatewayPluginFactory> factories)
    {
        _factories = factories;
        Names = [.. factories.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>The built-in filters (<c>cors</c>, <c>headers</c>, <c>mock</c>, <c>rewrite</c>, <c>key-auth</c>,
    /// <c>basic-auth</c>, <c>cache</c>, <c>aggregate</c>): what every process knows.</summary>
    public static PluginCatalog BuiltIn { get; } = NewBuiltIn();

    /// <summary>
    /// A catalog of new built-in factories: a gateway takes its own, because some factories keep state that outlives
    /// snapshots (the <c>cache</c> filter's stores), which two gateways in one process must not share.
    /// </summary>
    public static PluginCatalog NewBuiltIn() =>
        Create([new CorsPluginFactory(), new HeadersPluginFactory(), new MockPluginFactory(), new RewritePluginFactory(),
            new KeyAuthPluginFactory(), new BasicAuthPluginFactory(), new CachePluginFactory(), new AggregatePluginFactory()]);

    /// <summary>Every known name, sorted.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>A catalog of exactly <paramref name="factories"/>.</summary>
    /// <exception cref="ArgumentException">Two factories share a name (ignoring case), a name is not valid, or it is one
    /// of the gateway's own mechanisms (<see cref="GatewayFilterNames"/>).</exception>
    public static PluginCatalog Create(IEnumerable<IGatewayPluginFactory> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        var map = new Dictionary<string, IGatewayPluginFactory>(StringComparer.Ordinal);
        foreach (var factory in factories)
        {
            CheckName(factory.Name);
            foreach (var existing in map.Keys)
            {
                if (string.Equals(existing, factory.Name, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArgumentException($"Two plugin factories are named '{factory.Name}'.", nameof(factories));
                }
            }

            map.Add(factory.Name, factory);
        }

        return new PluginCatalog(map.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>This catalog plus <paramref name="factories"/> (e.g. the built-ins plus a host's own).</summary>
    public PluginCatalog With(IEnumerable<IGatewayPluginFactory> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        return Create(_factories.Values.Concat(factories));
    }

    /// <summary>The factory named <paramref name="name"/> exactly (names are case-sensitive, like every config key).</summary>
    public bool TryGet(string name, out IGatewayPluginFactory factory) => _factories.TryGetValue(name, out factory!);

    private static void CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ArgumentException($"Plugin name '{name}' must be 1 to 64 lower case letters, digits or '-'.", nameof(name));
        }

        if (GatewayFilterNames.ConfiguredBy(name) is { } member)
        {
            throw new ArgumentException($"Plugin name '{name}' is reserved: the gateway's own mechanism configured by policy.{member}.", nameof(name));
        }
    }
}
