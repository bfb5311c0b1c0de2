namespace Gatehouse.Console.Backend;

/// <summary>
/// How the console reaches the admin API it is a client of: the session cookie and CSRF header the API expects, and
/// the claim types the hosting admin puts on a request that came with a live session.
/// </summary>
public sealed class ConsoleOptions
{
    /// <summary>The admin API's session cookie name.</summary>
    public string SessionCookie { get; set; } = "gatehouse_session";

    /// <summary>The header a session-authenticated write carries, equal to the session's CSRF token.</summary>
    public string CsrfHeader { get; set; } = "X-Gatehouse-Csrf";
}

/// <summary>Claim types the admin sets on a session-authenticated request; read by the console's circuit.</summary>
public static class ConsoleClaims
{
    /// <summary>The session cookie's value: the circuit calls the admin API with it, so every call is the user's own.</summary>
    /// <remarks>It lives only in server memory (the circuit's principal); it never goes into a page.</remarks>
    public const string Session = "gatehouse:session";

    /// <summary>The session's CSRF token, sent with every write.</summary>
    public const string Csrf = "gatehouse:csrf";

    /// <summary>The address of the browser, so the admin's login audit names the real client.</summary>
    public const string ClientIp = "gatehouse:client-ip";
}
