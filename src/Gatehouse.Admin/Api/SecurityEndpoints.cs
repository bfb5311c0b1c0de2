using Gatehouse.Admin.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Admin.Api;

/// <summary><c>/api/v1/security</c>: key maintenance, for admins only.</summary>
/// <remarks>
/// Rotation is an endpoint rather than a command line: it runs inside a live admin with that admin's keys, store and
/// write lock, names the logged-in user in the audit row, and needs no second copy of the admin's settings on a
/// shell; with several admins on one store any one of them can run it.
/// </remarks>
internal static class SecurityEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var security = api.MapGroup("/security").WithTags("Security").RequireAdminRole(AdminRole.Admin);
        security.MapPost("/rotate-secret-key", RotateSecretKeyAsync);
    }

    private static async Task<IResult> RotateSecretKeyAsync(HttpContext context, SecretKeyRotation rotation, CancellationToken ct)
    {
        try
        {
            var result = await rotation.RotateAsync(context.Principal()!.Name, ct);
            return result.Conflict is { } conflict
                ? Problems.Conflict(conflict)
                : TypedResults.Ok(new RotateSecretKeyResource(result.Resealed, result.KeyId));
        }
        catch (SecretKeyMismatchException ex)
        {
            // A row no configured key opens: nothing was written; the key it needs must be added to PreviousSecretKeys first.
            return TypedResults.Problem(detail: ex.Message, statusCode: StatusCodes.Status409Conflict, title: "App secret unreadable");
        }
    }
}

/// <summary>Answer of a master key rotation: how many stored secrets were re-sealed, and the id of the key they are now under.</summary>
internal sealed record RotateSecretKeyResource(int Resealed, string KeyId);
