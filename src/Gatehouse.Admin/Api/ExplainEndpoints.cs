using System.Text.Json;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Api;

/// <summary>
/// "Where would this request go, and why": the admin asks a live gateway of the group (<c>POST /control/explain</c>, signed
/// with the control secret) and relays its answer; and it issues the debug tokens that make gateways add the route header.
/// </summary>
internal static class ExplainEndpoints
{
    private const string ExplainPath = "/control/explain";

    /// <summary>Maps <c>POST /groups/{group}/explain</c> (viewers may call it: it reads) and <c>POST /groups/{group}/debug-tokens</c> (operators).</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/groups/{group}").WithTags("Explain");
        groups.MapPost("/explain", ExplainAsync).RequireAdminRole(AdminRole.Viewer)
            .Accepts<ExplainRequestBody>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        groups.MapPost("/debug-tokens", IssueDebugTokenAsync);
    }

    /// <summary>
    /// Relays the explanation of one gateway: the one named by <paramref name="node"/>, else the live one seen last (then
    /// the next, should it not answer). 503 <c>no_live_gateway</c> when the group has none.
    /// </summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult, ValidationProblem>> ExplainAsync(string group, string? node,
        HttpRequest request, AdminDbContext db, GatewayControlClient client, IConfiguration configuration, TimeProvider time,
        IOptions<AdminOptions> options, CancellationToken ct)
    {
        if (!await db.Groups.AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var body = await RequestBodies.ReadBytesAsync(request, ct);
        if (body is null)
        {
            return Problems.InvalidField("body", "the body is too large");
        }

        if (CheckBody(body) is { } invalid)
        {
            return invalid;
        }

        var secret = configuration[AdminOptions.ControlSecretKey];
        if (string.IsNullOrEmpty(secret))
        {
            return Unavailable("no_control_secret",
                $"no control secret is configured ({AdminOptions.ControlSecretKey}); gateways answer explain calls only when they are signed with it");
        }

        var since = time.GetUtcNow() - options.Value.GatewayLiveWindow;
        var rows = await db.GatewayNodes.AsNoTracking().Where(n => n.Group == group)
            .Select(n => new { n.Id, n.ControlAddress, n.LastSeen }).ToListAsync(ct);
        // Ordered here rather than in SQL: SQLite cannot compare DateTimeOffset columns in a query.
        var live = rows.Where(n => n.LastSeen >= since && !string.IsNullOrEmpty(n.ControlAddress))
            .OrderByDescending(n => n.LastSeen).Select(n => (n.Id, Address: n.ControlAddress!)).ToList();
        if (node is not null)
        {
            var named = rows.FirstOrDefault(n => n.Id == node);
            if (named is null)
            {
                return Problems.NotFound($"gateway '{node}' has never reported to group '{group}'");
            }

            if (!live.Any(n => n.Id == node))
            {
                return Unavailable("gateway_not_live", string.IsNullOrEmpty(named.ControlAddress)
                    ? $"gateway '{node}' reported no control address, so it cannot be asked"
                    : $"gateway '{node}' last reported at {named.LastSeen:yyyy-MM-dd HH:mm:ss} UTC, longer ago than the live window ({options.Value.GatewayLiveWindow.TotalSeconds:0} s)");
            }

            live.RemoveAll(n => n.Id != node);
        }
        else if (live.Count == 0)
        {
            return Unavailable("no_live_gateway",
                $"no gateway of group '{group}' has reported within the live window ({options.Value.GatewayLiveWindow.TotalSeconds:0} s); start one, or check that its heartbeats reach this admin");
        }

        var failures = new List<string>();
        foreach (var (id, address) in live)
        {
            ControlAnswer answer;
            try
            {
                answer = await client.PostAsync(address, ExplainPath, body, secret, ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException)
            {
                failures.Add($"gateway '{id}' at {address}: {ex.Message}");
                continue;
            }

            // 200 is the explanation; 400 names the field of the body the gateway refused: both are relayed as they are.
            if (answer.Status is StatusCodes.Status200OK or StatusCodes.Status400BadRequest)
            {
                return TypedResults.Content(answer.Body, answer.MediaType ?? "application/json", statusCode: answer.Status);
            }

            failures.Add($"gateway '{id}' at {address} answered {answer.Status}: {ProblemDetail(answer.Body)}");
        }

        return TypedResults.Problem(detail: "no gateway could explain the request: " + string.Join("; ", failures),
            statusCode: StatusCodes.Status502BadGateway, title: "Gateway failed",
            extensions: new Dictionary<string, object?> { ["code"] = "gateway_failed" });
    }

    /// <summary>
    /// Issues a debug token for the group (<see cref="DebugToken"/>): valid for <c>ttlSeconds</c> (default 300, at most
    /// 3600), checked by the group's gateways offline with the control secret.
    /// </summary>
    private static async Task<Results<Ok<DebugTokenResource>, ProblemHttpResult, ValidationProblem>> IssueDebugTokenAsync(string group,
        DebugTokenRequest? request, AdminDbContext db, IConfiguration configuration, TimeProvider time, CancellationToken ct)
    {
        if (!await db.Groups.AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var ttl = request?.TtlSeconds ?? DebugTokenRequest.DefaultTtlSeconds;
        var max = (int)DebugToken.MaxLifetime.TotalSeconds;
        if (ttl < 1 || ttl > max)
        {
            return Problems.InvalidField("ttlSeconds", $"must be between 1 and {max} seconds");
        }

        var secret = configuration[AdminOptions.ControlSecretKey];
        if (string.IsNullOrEmpty(secret))
        {
            return Unavailable("no_control_secret",
                $"no control secret is configured ({AdminOptions.ControlSecretKey}); gateways check debug tokens with it");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds() + ttl);
        return TypedResults.Ok(new DebugTokenResource(DebugToken.Issue(secret, group, expires), DebugToken.Header, DebugToken.RouteHeader,
            group, expires));
    }

    /// <summary>The body must be a JSON object with <c>method</c> and <c>path</c> strings; the gateway checks the rest.</summary>
    private static ValidationProblem? CheckBody(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Problems.InvalidField("body", "the body must be a JSON object { method, path, query?, headers?, clientIp? }");
            }

            foreach (var field in (string[])["method", "path"])
            {
                if (!json.RootElement.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String
                    || value.GetString()!.Length == 0)
                {
                    return Problems.InvalidField(field, $"'{field}' is required and must be a non-empty string");
                }
            }

            return null;
        }
        catch (JsonException ex)
        {
            return Problems.InvalidField("body", $"the body is not valid JSON: {ex.Message}");
        }
    }

    private static string ProblemDetail(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
                ? detail.GetString()!
                : body;
        }
        catch (JsonException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }

    private static ProblemHttpResult Unavailable(string code, string detail) => TypedResults.Problem(detail: detail,
        statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
        extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>The request to explain, as the gateway's <c>POST /control/explain</c> takes it.</summary>
internal sealed record ExplainRequestBody(string Method, string Path, string? Query, IReadOnlyDictionary<string, string>? Headers, string? ClientIp);

/// <summary>Body of <c>POST /groups/{group}/debug-tokens</c>; may be left out.</summary>
internal sealed record DebugTokenRequest(int? TtlSeconds)
{
    public const int DefaultTtlSeconds = 300;
}

/// <summary>A debug token: send <c>token</c> in <c>header</c> and the response carries <c>routeHeader</c>, until <c>expiresAt</c>.</summary>
internal sealed record DebugTokenResource(string Token, string Header, string RouteHeader, string Group, DateTimeOffset ExpiresAt);
