using System.Text.Json;

namespace Gatehouse.Admin.Registry;

/// <summary>Reads a node znode's data: the HTTP registration body's fields, group and service from the path.</summary>
internal static class ZooKeeperNodeData
{
    /// <summary>Null when the data is a valid node named <paramref name="name"/>; otherwise what is wrong with it.</summary>
    public static string? Parse(string group, string service, string name, byte[] data, out RegistrationRequest? request)
    {
        request = null;
        RegistrationRequest? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<RegistrationRequest>(data, RegistrationRules.Json);
        }
        catch (JsonException exception)
        {
            return $"data is not a node's JSON: {exception.Message}";
        }

        if (parsed is null)
        {
            return "data is JSON null";
        }

        if (parsed.Group is { } g && g != group || parsed.Service is { } s && s != service)
        {
            return $"data names {parsed.Group}/{parsed.Service}, the path {group}/{service}";
        }

        parsed = parsed with { Group = group, Service = service };
        var errors = RegistrationRules.Check(parsed);
        if (errors.Count > 0)
        {
            return string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        }

        var nodeId = RegistrationRules.NodeId(parsed);
        if (nodeId != name)
        {
            return $"the znode is named '{name}' but its data describes node '{nodeId}' (host:port)";
        }

        request = parsed;
        return null;
    }
}
