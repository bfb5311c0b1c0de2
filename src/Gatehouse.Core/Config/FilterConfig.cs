using System.Text.Json;

namespace Gatehouse.Core.Config;

/// <summary>
/// One entry of <c>policy.filters</c>: a plugin filter by name, with its settings as JSON (a YAML file's settings are
/// converted like the rest of the file), checked by the plugin's own factory.
/// </summary>
public sealed record FilterConfig
{
    /// <summary>The plugin's name, e.g. <c>cors</c>; must be known to the catalog the config is validated with.</summary>
    public string Name { get; init; } = "";

    /// <summary>The plugin's settings; null when the entry has none.</summary>
    public JsonElement? Settings { get; init; }

    /// <summary>Value equality, settings compared as JSON values, so an unchanged reload compares equal.</summary>
    public bool Equals(FilterConfig? other) =>
        other is not null
        && string.Equals(Name, other.Name, StringComparison.Ordinal)
        && Settings.HasValue == other.Settings.HasValue
        && (!Settings.HasValue || JsonElement.DeepEquals(Settings.Value, other.Settings!.Value));

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);
}
