namespace Gatehouse.Console.Backend;

/// <summary>An uploaded plugin package with its latest version, as <c>GET /api/v1/plugins</c> lists it.</summary>
public sealed record PluginPackageView(string Name, string Sha256, long Size, IReadOnlyList<string> Factories, string Assembly,
    DateTimeOffset UploadedAt, string UploadedBy, int Versions);

/// <summary>A plugin a gateway reports in trouble with its heartbeat (<c>admin:{name}</c> for a distributed package).</summary>
public sealed record PluginProblemView(string? Folder, string? State, string? Error);
