using System.Globalization;
using System.Net;
using System.Text.Json;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Explain;

/// <summary>Signed calls to a gateway's <c>POST /control/explain</c> and readers for the answer.</summary>
internal static class ExplainKit
{
    public const string Secret = "explain-test-control-secret-0123456789";

    public static Task<GatewayTestHost> StartAsync(string? yaml, string? loc = null, params string[] extraArgs) =>
        GatewayTestHost.StartAsync(yaml, loc, ["--Gatehouse:ControlSecret", Secret, .. extraArgs]);

    /// <summary>Posts <paramref name="body"/> (an object, or raw JSON text) signed with <paramref name="secret"/> (null: unsigned).</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Json)> PostAsync(GatewayTestHost gw, object body, string? secret = Secret)
    {
        var bytes = body as byte[] ?? (body is string text ? System.Text.Encoding.UTF8.GetBytes(text) : JsonSerializer.SerializeToUtf8Bytes(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/control/explain") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        if (secret is not null)
        {
            var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Headers.Add(ControlSignature.TimestampHeader, seconds.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(ControlSignature.SignatureHeader, ControlSignature.Sign(secret, seconds, "POST", "/control/explain", bytes));
        }

        using var response = await gw.Control.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, json);
    }

    /// <summary>An explanation that must be 200.</summary>
    public static async Task<JsonElement> ExplainAsync(GatewayTestHost gw, object body)
    {
        var (status, json) = await PostAsync(gw, body);
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {json}");
        return json;
    }

    /// <summary>The verdict of node <paramref name="id"/> in <c>routing.nodes</c>.</summary>
    public static JsonElement Node(JsonElement explanation, string id) =>
        explanation.GetProperty("routing").GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("id").GetString() == id);

    /// <summary>The exclusion reason of node <paramref name="id"/>, or null when it is included.</summary>
    public static string? Reason(JsonElement explanation, string id)
    {
        var node = Node(explanation, id);
        if (node.GetProperty("included").GetBoolean())
        {
            Assert.False(node.TryGetProperty("reason", out _));
            return null;
        }

        return node.GetProperty("reason").GetString();
    }

    public static string? Str(this JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            element = element.GetProperty(name);
        }

        return element.ValueKind == JsonValueKind.Null ? null : element.ToString();
    }
}
