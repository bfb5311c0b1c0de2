using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace Gatehouse.Console.Backend;

/// <summary>The logged-in user of a console page, as the admin authenticated the request that opened it.</summary>
/// <param name="Role">As it was when the page opened; the API checks the current role on every call anyway.</param>
public sealed record ConsoleUser(string Name, string Role, string SessionId, string Csrf, string? ClientIp)
{
    /// <summary>Operators and admins change config: write controls are shown to them only.</summary>
    public bool CanWrite => Role is "operator" or "admin";

    /// <summary>Admins also manage users.</summary>
    public bool IsAdmin => Role == "admin";
}

/// <summary>Reads the <see cref="ConsoleUser"/> of the circuit (or of the static request) from its authentication state.</summary>
public sealed class ConsoleSession(AuthenticationStateProvider authentication)
{
    private ConsoleUser? _user;
    private bool _read;

    /// <summary>The user, or null when the page was opened without a live session.</summary>
    public async Task<ConsoleUser?> UserAsync()
    {
        if (!_read)
        {
            var state = await authentication.GetAuthenticationStateAsync();
            _user = From(state.User);
            _read = true;
        }

        return _user;
    }

    internal static ConsoleUser? From(ClaimsPrincipal principal)
    {
        var session = principal.FindFirst(ConsoleClaims.Session)?.Value;
        var csrf = principal.FindFirst(ConsoleClaims.Csrf)?.Value;
        var name = principal.FindFirst(ClaimTypes.Name)?.Value;
        if (session is null || csrf is null || name is null)
        {
            return null;
        }

        return new ConsoleUser(name, principal.FindFirst(ClaimTypes.Role)?.Value ?? "viewer", session, csrf,
            principal.FindFirst(ConsoleClaims.ClientIp)?.Value);
    }
}
