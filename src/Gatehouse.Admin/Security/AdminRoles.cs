using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Admin.Security;

/// <summary>The roles of admin users, ordered: each role can do everything the ones below it can.</summary>
public enum AdminRole
{
    /// <summary>Reads everything (config, versions, audit, gateways); changes nothing but its own password and tokens.</summary>
    Viewer = 0,

    /// <summary>Also changes config: groups, services, nodes, APIs, policies, gray configs, rollbacks, registry calls.</summary>
    Operator = 1,

    /// <summary>Also manages users: create, delete, role changes, unlock, other users' passwords and tokens.</summary>
    Admin = 2,
}

/// <summary>
/// Endpoint metadata: the least role a caller needs; <see cref="Read"/> for safe methods (GET, HEAD, OPTIONS),
/// <see cref="Write"/> for everything else. The most specific one wins (an endpoint's own over its group's).
/// </summary>
public sealed record AdminRoleRequirement(AdminRole Read, AdminRole Write)
{
    /// <summary>The role a request with <paramref name="method"/> needs.</summary>
    public AdminRole For(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        ? Read
        : Write;
}

/// <summary>Endpoint metadata: answered without an admin user; <see cref="Reason"/> says what protects it instead, if anything.</summary>
public sealed record AdminAnonymous(string Reason);

/// <summary>Endpoint metadata: the registry token (held by every service instance) is accepted as well as user credentials.</summary>
public sealed record AcceptsRegistryToken;

/// <summary>
/// Declares who may call endpoints. An endpoint that declares neither a role nor anonymous access is refused to
/// everyone (403), so a new endpoint fails closed until it says who it is for.
/// </summary>
public static class AdminRoleExtensions
{
    /// <summary>Requires <paramref name="read"/> for safe methods and <paramref name="write"/> (default: the same) for the rest.</summary>
    /// <example><c>app.MapGroup("/api/v1/groups/{group}/stats").RequireAdminRole(AdminRole.Viewer, write: AdminRole.Operator)</c></example>
    public static TBuilder RequireAdminRole<TBuilder>(this TBuilder builder, AdminRole read, AdminRole? write = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AdminRoleRequirement(read, write ?? read));

    /// <summary>Lets anyone call the endpoints; <paramref name="reason"/> documents what protects them instead.</summary>
    public static TBuilder AllowAdminAnonymous<TBuilder>(this TBuilder builder, string reason)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AdminAnonymous(reason));

    /// <summary>Accepts the registry token on these endpoints (on top of their role requirement for users).</summary>
    public static TBuilder AcceptRegistryToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AcceptsRegistryToken());

    /// <summary>Parses a role name (<c>admin</c>, <c>operator</c>, <c>viewer</c>), case-insensitively.</summary>
    public static bool TryParse(string? value, out AdminRole role)
    {
        switch (value?.ToLowerInvariant())
        {
            case "admin":
                role = AdminRole.Admin;
                return true;
            case "operator":
                role = AdminRole.Operator;
                return true;
            case "viewer":
                role = AdminRole.Viewer;
                return true;
            default:
                role = AdminRole.Viewer;
                return false;
        }
    }

    /// <summary>The role's name as stored and shown.</summary>
    public static string Name(this AdminRole role) => role switch
    {
        AdminRole.Admin => "admin",
        AdminRole.Operator => "operator",
        _ => "viewer",
    };
}
