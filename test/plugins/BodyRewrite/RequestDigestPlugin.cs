using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Plugins;

namespace Gatehouse.TestPlugins.BodyRewrite;

/// <summary>
/// <c>request-digest</c>: reads the request body (<see cref="PluginPhases.RequestBody"/>) and tells the node its
/// SHA-256 in <c>X-Body-Sha256</c>; <c>maxBytes</c> bounds what the gateway reads.
/// </summary>
public sealed class RequestDigestFactory : IGatewayPluginFactory
{
    public string Name => "request-digest";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings) =>
        settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty("maxBytes", out var max)
            && (max.ValueKind != JsonValueKind.Number || max.GetInt32() < 1)
            ? [new PluginSettingError("maxBytes", "expected a positive number")]
            : [];

    public IGatewayPlugin Create(JsonElement settings) => new RequestDigestPlugin(
        settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty("maxBytes", out var max) ? max.GetInt32() : 1024 * 1024);
}

/// <summary>The filter <see cref="RequestDigestFactory"/> creates.</summary>
public sealed class RequestDigestPlugin(int maxBytes) : IGatewayPlugin
{
    public PluginPhases Phases => PluginPhases.Request | PluginPhases.RequestBody;

    public int MaxRequestBodyBytes => maxBytes;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        context.Http.Request.Headers["X-Body-Sha256"] = Convert.ToHexStringLower(SHA256.HashData(context.RequestBody.Span));
        return ValueTask.FromResult<PluginResponse?>(null);
    }

    public void OnResponse(PluginContext context)
    {
    }
}
