using System.Text;
using System.Text.Json;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.TestPlugins.BodyRewrite;

/// <summary>
/// <c>body-rewrite</c>, a third-party filter written against the public contract only: its body phase rewrites the
/// node's response (<c>mode</c>: <c>upper</c> upper-cases ASCII, <c>wrap</c> wraps it in <c>&lt;w&gt;…&lt;/w&gt;</c>,
/// <c>throw</c> fails), and records the length it saw in <c>X-Seen-Length</c>. <c>maxBytes</c> bounds the collection.
/// </summary>
public sealed class BodyRewriteFactory : IGatewayPluginFactory
{
    public string Name => "body-rewrite";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var errors = new List<PluginSettingError>();
        if (!settings.TryGetProperty("mode", out var mode) || mode.GetString() is not ("upper" or "wrap" or "throw"))
        {
            errors.Add(new PluginSettingError("mode", "expected upper, wrap or throw"));
        }

        if (settings.TryGetProperty("maxBytes", out var max) && (max.ValueKind != JsonValueKind.Number || max.GetInt32() < 1))
        {
            errors.Add(new PluginSettingError("maxBytes", "expected a positive number"));
        }

        return errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => new BodyRewritePlugin(
        settings.GetProperty("mode").GetString()!,
        settings.TryGetProperty("maxBytes", out var max) ? max.GetInt32() : 1024 * 1024);
}

/// <summary>The filter <see cref="BodyRewriteFactory"/> creates.</summary>
public sealed class BodyRewritePlugin(string mode, int maxBytes) : IGatewayPlugin
{
    public PluginPhases Phases => PluginPhases.ResponseBody;

    public int MaxResponseBodyBytes => maxBytes;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context) => ValueTask.FromResult<PluginResponse?>(null);

    public void OnResponse(PluginContext context)
    {
    }

    public ValueTask OnResponseBodyAsync(PluginContext context, PluginResponseBody body)
    {
        context.Http.Response.Headers.Append("X-Seen-Length", body.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        switch (mode)
        {
            case "upper":
                // Into a buffer the gateway lends and takes back after sending.
                var source = body.Content.Span;
                var target = body.Rewrite(source.Length).Span;
                for (var i = 0; i < source.Length; i++)
                {
                    target[i] = source[i] is >= (byte)'a' and <= (byte)'z' ? (byte)(source[i] - 32) : source[i];
                }

                break;
            case "wrap":
                // A plain array of the filter's own.
                body.Replace(Encoding.UTF8.GetBytes("<w>" + Encoding.UTF8.GetString(body.Content.Span) + "</w>"));
                break;
            default:
                throw new InvalidOperationException("body-rewrite fails on purpose");
        }

        return ValueTask.CompletedTask;
    }
}
