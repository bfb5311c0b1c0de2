using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Console.Backend;

/// <summary>
/// The console's connection to the admin API of its own process, over loopback HTTP: every console read and write is an
/// ordinary API call, authenticated with the user's own session, so the API's validation, revisions, audit and roles
/// apply unchanged and no rule can exist only in the console.
/// </summary>
/// <remarks>
/// A per-process random <see cref="Key"/> marks the console's own calls, so the admin may believe the browser's address
/// the console forwards (<see cref="ClientIpHeader"/>); from anyone else that header is ignored.
/// </remarks>
public sealed class ConsoleLink : IDisposable
{
    /// <summary>Header carrying <see cref="Key"/>.</summary>
    public const string KeyHeader = "X-Gatehouse-Console";

    /// <summary>Header carrying the browser's address, believed only with the right <see cref="KeyHeader"/>.</summary>
    public const string ClientIpHeader = "X-Gatehouse-Console-Client";

    private readonly IServer _server;
    private readonly Lazy<HttpClient> _client;

    public ConsoleLink(IServer server)
    {
        _server = server;
        _client = new Lazy<HttpClient>(CreateClient);
    }

    /// <summary>Random per process; never leaves it.</summary>
    public string Key { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    /// <summary>The client for the admin API; its base address is the admin's own first listening address, on loopback.</summary>
    public HttpClient Client => _client.Value;

    /// <summary>When <paramref name="request"/> is the console's own call, the browser address it forwards; else null.</summary>
    public IPAddress? ForwardedClient(HttpRequest request) =>
        request.Headers[KeyHeader].ToString() is { Length: > 0 } key
        && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(key), System.Text.Encoding.ASCII.GetBytes(Key))
        && IPAddress.TryParse(request.Headers[ClientIpHeader].ToString(), out var ip)
            ? ip
            : null;

    /// <summary>The admin's base address as the console calls it: a listening address with wildcard hosts made loopback.</summary>
    internal static Uri LoopbackAddress(IEnumerable<string> addresses)
    {
        var all = addresses.ToList();
        var chosen = all.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? all.FirstOrDefault()
            ?? throw new InvalidOperationException("the admin listens on no address, so the console cannot reach its API");
        var uri = new UriBuilder(chosen.Replace("://*", "://127.0.0.1").Replace("://+", "://127.0.0.1"));
        if (uri.Host is "0.0.0.0" or "localhost")
        {
            uri.Host = "127.0.0.1";
        }
        else if (uri.Host is "[::]" or "::")
        {
            uri.Host = "[::1]";
        }

        uri.Path = "/";
        return uri.Uri;
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private HttpClient CreateClient()
    {
        var addresses = _server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        };

        // The console calls its own process on loopback: the certificate is the admin's own, whatever name it carries.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        return new HttpClient(handler) { BaseAddress = LoopbackAddress(addresses), Timeout = TimeSpan.FromSeconds(30) };
    }
}
