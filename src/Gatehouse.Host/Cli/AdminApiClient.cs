using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Gatehouse.Host.Cli;

/// <summary>A failure of a command that talks to the admin, told in one line; the command prints it and exits 1.</summary>
internal sealed class AdminCallException(string message) : Exception(message);

/// <summary>
/// The admin API as the command line uses it (<c>export</c>, <c>diff</c>): the admin's address and group from the command
/// line, the token from <c>--token</c>, <c>GATEHOUSE_ADMIN_TOKEN</c> or the all-in-one's <c>./data/admin-token</c>, and
/// every failure (unreachable, timed out, 401, 403, 404, 5xx) turned into one <see cref="AdminCallException"/> line.
/// </summary>
internal sealed class AdminApiClient : IDisposable
{
    /// <summary>The environment variable the token is read from when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "GATEHOUSE_ADMIN_TOKEN";

    // The all-in-one writes its admin token here (relative to where it runs); next to it, no token needs typing.
    private static readonly string AllInOneTokenFile = Path.Combine("data", "admin-token");

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly string _tokenSource;

    private AdminApiClient(Uri admin, string group, string? token, string tokenSource)
    {
        Admin = admin;
        Group = group;
        _tokenSource = tokenSource;
        _http = new HttpClient { BaseAddress = admin, Timeout = Timeout };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Admin { get; }

    public string Group { get; }

    /// <summary>Reads <c>--admin</c>, <c>--group</c> and the token; a missing or malformed admin URL is a usage error.</summary>
    public static AdminApiClient From(ParsedCommandLine parsed)
    {
        var url = parsed.Value("--admin") ?? throw new UsageException("--admin URL is required, e.g. --admin http://127.0.0.1:9000");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var admin) || admin.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"option '--admin' takes the admin's http:// or https:// URL, not '{url}'");
        }

        // A base address without a trailing slash would drop its last path segment when relative paths are resolved.
        admin = new Uri(admin.AbsoluteUri.EndsWith('/') ? admin.AbsoluteUri : admin.AbsoluteUri + "/");
        var (token, source) = FindToken(parsed.Value("--token"));
        return new AdminApiClient(admin, parsed.Value("--group") ?? "default", token, source);
    }

    /// <summary>
    /// Sends <paramref name="request"/> (path relative to the admin) and returns the body of a 2xx or 400 response (the
    /// caller reads a 400's validation errors); any other answer, or none, throws <see cref="AdminCallException"/>.
    /// </summary>
    /// <param name="what">What is asked, for messages: "export group 'g'".</param>
    public async Task<(string Body, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request, string what)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException socket ? socket.Message : e.Message;
            throw new AdminCallException($"cannot reach the admin at {Admin}: {reason}");
        }
        catch (TaskCanceledException)
        {
            throw new AdminCallException($"the admin at {Admin} did not answer within {Timeout.TotalSeconds:0} s");
        }

        var body = await response.Content.ReadAsStringAsync();
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.BadRequest)
        {
            return (body, response);
        }

        throw new AdminCallException(response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => _tokenSource.Length == 0
                ? $"the admin at {Admin} wants a token (401): give one with --token or {TokenVariable}"
                : $"the admin at {Admin} refused the token from {_tokenSource} (401 unauthorized)",
            HttpStatusCode.Forbidden => $"the token from {_tokenSource} may not {what} (403 forbidden): {Detail(body)}",
            HttpStatusCode.NotFound => $"cannot {what}: {Detail(body)} (404 from {Admin})",
            _ => $"cannot {what}: the admin at {Admin} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Detail(body)}",
        });
    }

    /// <summary>The <c>detail</c> (or <c>title</c>) of a problem JSON body, else the body's first line.</summary>
    public static string Detail(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (ReadOnlySpan<string>)["detail", "title"])
                {
                    if (document.RootElement.TryGetProperty(name, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return text.GetString()!;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not problem JSON (e.g. a proxy's HTML page): its first line says more than nothing.
        }

        var line = body.AsSpan().Trim();
        var end = line.IndexOfAny('\r', '\n');
        return (end < 0 ? line : line[..end]).ToString() is { Length: > 0 } first ? first : "(no body)";
    }

    public void Dispose() => _http.Dispose();

    private static (string? Token, string Source) FindToken(string? option)
    {
        if (!string.IsNullOrEmpty(option))
        {
            return (option, "--token");
        }

        if (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } variable)
        {
            return (variable, TokenVariable);
        }

        if (File.Exists(AllInOneTokenFile))
        {
            try
            {
                return (File.ReadAllText(AllInOneTokenFile).Trim(), AllInOneTokenFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AdminCallException($"cannot read the admin token in {AllInOneTokenFile}: {e.Message}");
            }
        }

        return (null, "");
    }
}
