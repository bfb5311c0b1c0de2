using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Registry;

/// <summary>The body of <c>POST /api/v1/registry/instances</c>: one node of a service announcing itself, with its APIs.</summary>
internal sealed record RegistrationRequest
{
    public string? Group { get; init; }

    public string? Service { get; init; }

    /// <summary>Host name or IP address the gateway reaches the node at.</summary>
    public string? Host { get; init; }

    public int Port { get; init; }

    /// <summary><c>http</c> (default) or <c>https</c>.</summary>
    public string? Scheme { get; init; }

    public int? Weight { get; init; }

    public string? Loc { get; init; }

    public IReadOnlyList<string>? Gray { get; init; }

    /// <summary>The service's own version string (kept in the node's metadata).</summary>
    public string? Version { get; init; }

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public string? HealthPath { get; init; }

    public IReadOnlyList<ReportedApi>? Apis { get; init; }
}

/// <summary>An API the node serves, as its SDK found it: methods (empty = any), a gateway path pattern and its kind.</summary>
internal sealed record ReportedApi
{
    public IReadOnlyList<string>? Methods { get; init; }

    public string? Path { get; init; }

    public MatchKind? MatchKind { get; init; }
}

/// <summary>Reads and checks registration bodies; every problem is reported at once, keyed by the body field.</summary>
internal static class RegistrationRules
{
    /// <summary>Largest weight a node may have (the config validator's limit).</summary>
    public const int MaxWeight = 10_000;

    /// <summary>Web-style JSON (camelCase, case-insensitive) with enums as camelCase strings, unknown fields refused.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Field errors of <paramref name="request"/> (group existence is checked by the caller, which has the store).</summary>
    public static Dictionary<string, string[]> Check(RegistrationRequest request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        if (string.IsNullOrWhiteSpace(request.Group))
        {
            Add("group", "group is required");
        }

        if (string.IsNullOrWhiteSpace(request.Service))
        {
            Add("service", "service is required");
        }

        if (string.IsNullOrWhiteSpace(request.Host))
        {
            Add("host", "host is required");
        }
        else if (Uri.CheckHostName(request.Host.Trim('[', ']')) is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            Add("host", $"'{request.Host}' is not a valid host name or IP address");
        }

        if (request.Port is < 1 or > 65535)
        {
            Add("port", $"port must be between 1 and 65535, got {request.Port}");
        }

        if (request.Scheme is not (null or "http" or "https"))
        {
            Add("scheme", $"scheme must be 'http' or 'https', got '{request.Scheme}'");
        }

        if (request.Weight is < 0 or > MaxWeight)
        {
            Add("weight", $"weight must be between 0 and {MaxWeight}, got {request.Weight}");
        }

        var apis = request.Apis ?? [];
        for (var i = 0; i < apis.Count; i++)
        {
            if (apis[i] is null)
            {
                Add($"apis[{i}]", "entry is empty (null)");
                continue;
            }

            if (ApiPathSyntax.Check(apis[i].MatchKind ?? MatchKind.Auto, apis[i].Path ?? "") is { } problem)
            {
                Add($"apis[{i}].path", problem);
            }
        }

        return errors;
    }

    /// <summary>The node's address: <c>scheme://host:port</c>, IPv6 in brackets.</summary>
    public static string Address(RegistrationRequest request)
    {
        var host = request.Host!.Trim('[', ']');
        var uriHost = host.Contains(':') ? $"[{host}]" : host;
        return $"{request.Scheme ?? "http"}://{uriHost}:{request.Port}";
    }

    /// <summary>The node id the registry uses: <c>host:port</c> as <see cref="NodeIdentity"/> derives it from the address.</summary>
    public static string NodeId(RegistrationRequest request) =>
        NodeIdentity.EffectiveId(new NodeConfig { Address = Address(request) }) ?? $"{request.Host}:{request.Port}";
}
