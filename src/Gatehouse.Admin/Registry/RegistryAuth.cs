using Gatehouse.Admin.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Registry;

/// <summary>
/// Who may call the registry endpoints: the registry token (<c>Gatehouse:Admin:RegistryToken</c>), which services
/// carry and which can do nothing else, or an admin token (an operator may always deregister a node by hand).
/// </summary>
/// <remarks>
/// A separate token because every service instance holds it: a leaked service credential must not be able to rewrite
/// policies or delete groups. Without a registry token configured only admin tokens are accepted.
/// </remarks>
internal sealed class RegistryAuth(IOptions<AdminOptions> options, AdminTokens adminTokens)
{
    private readonly string? _registryHash = string.IsNullOrEmpty(options.Value.RegistryToken) ? null : AdminTokens.Hash(options.Value.RegistryToken);

    /// <summary>Null when the request carries the registry token or an admin token, else the 401 to answer with.</summary>
    public ProblemHttpResult? Check(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (_registryHash is not null && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && AdminTokens.Hash(header[scheme.Length..].Trim()) == _registryHash)
        {
            return null;
        }

        return adminTokens.Check(request) is null
            ? null
            : Api.Problems.Unauthorized("a registry token (or an admin token) is required: Authorization: Bearer <token>");
    }
}
