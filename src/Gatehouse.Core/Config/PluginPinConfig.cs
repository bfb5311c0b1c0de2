namespace Gatehouse.Core.Config;

/// <summary>One uploaded plugin package a config version needs: its name and the sha256 of the exact package bytes.</summary>
public sealed record PluginPinConfig
{
    /// <summary>The package's name in the admin (<c>GET /api/v1/plugins/{name}</c>).</summary>
    public string Name { get; init; } = "";

    /// <summary>SHA-256 of the package (the zip as uploaded), 64 lower-case hex digits; what the gateway verifies.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>The filter names the package provides, as found when it was uploaded.</summary>
    public IReadOnlyList<string> Factories { get; init; } = [];
}
