using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace Gatehouse.Console.Backend;

/// <summary>
/// The admin REST API as the console calls it: as the logged-in user (session cookie + CSRF header), over
/// <see cref="ConsoleLink"/>. A refused call comes back as an <see cref="ApiProblem"/> in the API's own words; a call
/// refused because the session ended sends the browser to the login page.
/// </summary>
public sealed class AdminApi(ConsoleLink link, ConsoleSession session, NavigationManager navigation, IOptions<ConsoleOptions> options)
{
    /// <summary>Config records exactly as the API writes them; extra fields of API resources are skipped.</summary>
    public static JsonSerializerOptions Json { get; } = CreateJson();

    /// <summary>GET <paramref name="path"/> (relative to the admin, e.g. <c>api/v1/groups</c>).</summary>
    public Task<ApiResult<T>> GetAsync<T>(string path, CancellationToken ct = default) => SendAsync<T>(HttpMethod.Get, path, null, null, ct);

    /// <summary>
    /// Sends <paramref name="body"/> as JSON (a <see cref="YamlBody"/> as YAML); <paramref name="revision"/> goes in <c>If-Match</c>.
    /// </summary>
    public async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, long? revision = null,
        CancellationToken ct = default)
    {
        var user = await session.UserAsync();
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is RawBody raw
                ? new ByteArrayContent(raw.Bytes) { Headers = { ContentType = new MediaTypeHeaderValue(raw.ContentType) } }
                : body is YamlBody yaml
                ? new StringContent(yaml.Text, Encoding.UTF8, "application/yaml")
                : new StringContent(body as string ?? JsonSerializer.Serialize(body, body.GetType(), Json), Encoding.UTF8, "application/json");
        }

        if (revision is { } r)
        {
            request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{r}\""));
        }

        if (user is not null)
        {
            request.Headers.Add("Cookie", $"{options.Value.SessionCookie}={user.SessionId}");
            request.Headers.Add(options.Value.CsrfHeader, user.Csrf);
            Forward(request, user.ClientIp);
        }

        HttpResponseMessage response;
        try
        {
            response = await link.Client.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            return new ApiResult<T>(default, new ApiProblem(503, "Admin API unreachable", ex.Message, Empty));
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var problem = ReadProblem(response.StatusCode, await response.Content.ReadAsStringAsync(ct));
                if (problem.Status == 401 && user is not null)
                {
                    navigation.NavigateTo($"login?ended=1&returnUrl={Uri.EscapeDataString(navigation.ToBaseRelativePath(navigation.Uri))}",
                        forceLoad: true);
                }

                return new ApiResult<T>(default, problem);
            }

            long? etag = response.Headers.ETag is { } tag && long.TryParse(tag.Tag.Trim('"'), out var value) ? value : null;
            if (typeof(T) == typeof(NoBody))
            {
                return new ApiResult<T>(default, null, etag);
            }

            // Read as UTF-8 bytes, not as a string: a page of 50 services is about 56 KB of JSON, which as a string
            // (UTF-16) is over the large object heap threshold; every such page would then count towards a full
            // collection of the admin process, whose pauses the REST API's own requests would wait out.
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            return new ApiResult<T>(bytes.Length == 0 ? default : JsonSerializer.Deserialize<T>(bytes, Json), null, etag);
        }
    }

    /// <summary>A login as the API's <c>POST /api/v1/auth/login</c> answers it, with the session cookie value it set.</summary>
    public async Task<(ApiProblem? Problem, string? SessionId, DateTimeOffset? Expires)> LoginAsync(string user, string password,
        string? clientIp, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/login")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { user, password }, Json), Encoding.UTF8, "application/json"),
        };
        Forward(request, clientIp);
        using var response = await link.Client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            return (ReadProblem(response.StatusCode, text), null, null);
        }

        var prefix = options.Value.SessionCookie + "=";
        var cookie = response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(v => v.Split(';')[0]).FirstOrDefault(v => v.StartsWith(prefix, StringComparison.Ordinal))
            : null;
        using var json = JsonDocument.Parse(text);
        var expires = json.RootElement.TryGetProperty("expiresAt", out var e) && e.TryGetDateTimeOffset(out var at) ? at : (DateTimeOffset?)null;
        return (null, cookie?[prefix.Length..], expires);
    }

    /// <summary>Ends the session whose cookie value is <paramref name="sessionId"/>.</summary>
    public async Task LogoutAsync(string sessionId, string csrf, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/logout");
        request.Headers.Add("Cookie", $"{options.Value.SessionCookie}={sessionId}");
        request.Headers.Add(options.Value.CsrfHeader, csrf);
        using var _ = await link.Client.SendAsync(request, ct);
    }

    /// <summary>A path with each of <paramref name="segments"/> escaped, e.g. <c>Path("api/v1/groups", g, "services")</c>.</summary>
    public static string Path(params string[] segments) => string.Join('/', segments.Select((s, i) => i == 0 ? s : Uri.EscapeDataString(s)));

    private void Forward(HttpRequestMessage request, string? clientIp)
    {
        if (clientIp is not null)
        {
            request.Headers.Add(ConsoleLink.KeyHeader, link.Key);
            request.Headers.Add(ConsoleLink.ClientIpHeader, clientIp);
        }
    }

    private static readonly IReadOnlyDictionary<string, string[]> Empty = new Dictionary<string, string[]>();

    internal static ApiProblem ReadProblem(HttpStatusCode status, string text)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var errors = new Dictionary<string, string[]>();
            if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in e.EnumerateObject())
                {
                    errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                        ? field.Value.EnumerateArray().Select(m => m.GetString() ?? "").ToArray()
                        : [field.Value.ToString()];
                }
            }

            return new ApiProblem((int)status, Str("title") ?? status.ToString(), Str("detail") ?? Str("title") ?? $"HTTP {(int)status}", errors,
                Str("code"), Str("changedBy"));
        }
        catch (JsonException)
        {
            return new ApiProblem((int)status, status.ToString(), text.Length > 0 && text.Length < 300 ? text : $"HTTP {(int)status}", Empty);
        }
    }

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(ConfigSerializer.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };
        json.MakeReadOnly();
        return json;
    }
}

/// <summary>The <c>T</c> of a call whose answer has no body worth reading (204, or a write whose result is reloaded).</summary>
public sealed record NoBody;

/// <summary>A body sent as these bytes with this content type (a plugin package upload).</summary>
public sealed record RawBody(byte[] Bytes, string ContentType);
