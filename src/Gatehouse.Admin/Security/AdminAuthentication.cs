using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Storage;
using Gatehouse.Console.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Security;

/// <summary>
/// Authenticates every admin request (bearer API token, or the console's session cookie plus its CSRF header) and
/// enforces the endpoint's declared <see cref="AdminRoleRequirement"/>; answers 401 / 403 problem JSON otherwise.
/// </summary>
/// <remarks>
/// A middleware after routing, not an endpoint filter: filters run after body binding, so an unauthenticated caller
/// could otherwise learn about request validation before being told to authenticate. The endpoint is already chosen,
/// so its metadata says what it needs. An endpoint that declares nothing is refused to everyone (fails closed).
/// </remarks>
internal static class AdminAuthentication
{
    /// <summary>Cookie holding the console session id.</summary>
    public const string SessionCookie = "gatehouse_session";

    /// <summary>Header a cookie-authenticated unsafe request must carry, equal to the session's CSRF token.</summary>
    public const string CsrfHeader = "X-Gatehouse-Csrf";

    /// <summary>The actor name of requests made with the registry token.</summary>
    public const string RegistryActor = "registry";

    private const string ApiPrefix = "/api";
    private static readonly object PrincipalKey = new();

    /// <summary>The authenticated caller of this request, or null (anonymous endpoints, registry token).</summary>
    public static AdminPrincipal? Principal(this HttpContext context) =>
        context.Items.TryGetValue(PrincipalKey, out var value) ? value as AdminPrincipal : null;

    /// <summary>Adds the middleware; call after routing so the endpoint is known.</summary>
    public static IApplicationBuilder UseAdminAuthentication(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (await CheckAsync(context) is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }

        await next(context);
    });

    private static async Task<IResult?> CheckAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var metadata = endpoint?.Metadata;
        if (endpoint is null)
        {
            // No route: under /api the caller still has to authenticate before learning that a path does not exist.
            if (!context.Request.Path.StartsWithSegments(ApiPrefix))
            {
                return null;
            }
        }
        else if (metadata!.GetMetadata<AdminAnonymous>() is not null)
        {
            // The console's pages and hub are open to all, but a live session makes the user known to them: the console
            // then calls the API as that user (and the API decides what they may do).
            if (!context.Request.Path.StartsWithSegments(ApiPrefix) && context.Request.Cookies[SessionCookie] is { Length: > 0 } cookie)
            {
                await AttachSessionAsync(context, cookie);
            }

            return null;
        }

        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<AdminOptions>>().Value;
        var bearer = BearerToken(context.Request);
        if (bearer is not null && metadata?.GetMetadata<AcceptsRegistryToken>() is not null && IsRegistryToken(options, bearer))
        {
            SetUser(context, new AdminPrincipal(RegistryActor, AdminRole.Operator));
            return null;
        }

        var db = services.GetRequiredService<AdminDbContext>();
        var users = services.GetRequiredService<UserDirectory>();
        var ct = context.RequestAborted;
        AdminPrincipal? principal;
        if (bearer is not null)
        {
            principal = await users.TokenAsync(db, services.GetRequiredService<AdminTokens>(), bearer, ct);
            if (principal is null)
            {
                return Problems.Unauthorized("the token is not valid");
            }
        }
        else if (context.Request.Cookies[SessionCookie] is { Length: > 0 } session)
        {
            principal = await users.SessionAsync(db, session, ct);
            if (principal is null)
            {
                return Problems.Unauthorized("the session has ended; log in again");
            }
        }
        else
        {
            return Problems.Unauthorized(metadata?.GetMetadata<AcceptsRegistryToken>() is not null
                ? "a registry token or an admin API token is required: Authorization: Bearer <token>"
                : "credentials are required: Authorization: Bearer <token>, or log in at POST /api/v1/auth/login");
        }

        SetUser(context, principal);
        if (endpoint is null)
        {
            return null;
        }

        if (metadata!.GetMetadata<AdminRoleRequirement>() is not { } requirement)
        {
            return Problems.Forbidden("this endpoint declares no role, so nobody may call it");
        }

        var needed = requirement.For(context.Request.Method);
        if (principal.Role < needed)
        {
            return Problems.Forbidden($"this needs the role '{needed.Name()}'; user '{principal.Name}' has '{principal.Role.Name()}'");
        }

        // Browsers attach cookies to cross-site requests by themselves (SameSite=Strict aside); a header they cannot
        // be made to send without CORS proves the request came from the console's own page.
        if (principal.CsrfToken is not null && !IsSafe(context.Request.Method)
            && !FixedEquals(context.Request.Headers[CsrfHeader].ToString(), principal.CsrfToken))
        {
            return Problems.Forbidden($"a session-authenticated write needs the {CsrfHeader} header from login or /api/v1/auth/me");
        }

        return null;
    }

    private static async Task AttachSessionAsync(HttpContext context, string session)
    {
        var services = context.RequestServices;
        var principal = await services.GetRequiredService<UserDirectory>()
            .SessionAsync(services.GetRequiredService<AdminDbContext>(), session, context.RequestAborted);
        if (principal is not null)
        {
            SetUser(context, principal, session);
        }
    }

    private static void SetUser(HttpContext context, AdminPrincipal principal, string? session = null)
    {
        context.Items[PrincipalKey] = principal;
        List<Claim> claims = [new(ClaimTypes.Name, principal.Name), new(ClaimTypes.Role, principal.Role.Name())];
        if (session is not null && principal.CsrfToken is not null)
        {
            // Server memory only: the console's circuit calls the API with the user's own session (see ConsoleLink).
            claims.Add(new Claim(ConsoleClaims.Session, session));
            claims.Add(new Claim(ConsoleClaims.Csrf, principal.CsrfToken));
            if (context.Connection.RemoteIpAddress is { } ip)
            {
                claims.Add(new Claim(ConsoleClaims.ClientIp, ip.ToString()));
            }
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "gatehouse"));
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (header.Length == 0)
        {
            return null;
        }

        // A malformed Authorization header is a failed credential, not an absent one: "" never matches a token.
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
    }

    private static bool IsRegistryToken(AdminOptions options, string token) =>
        !string.IsNullOrEmpty(options.RegistryToken) && FixedEquals(AdminTokens.Hash(token), AdminTokens.Hash(options.RegistryToken));

    private static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
