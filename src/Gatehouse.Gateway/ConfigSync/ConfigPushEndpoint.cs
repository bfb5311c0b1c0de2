using System.Text.Json;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// <c>POST /control/config</c>: the admin's signed "config changed" notice. A valid one is answered 202 and wakes
/// <see cref="AdminConfigSync"/> to pull; the body is never applied, so a forged or replayed push can at most cause
/// a pull from the configured admin.
/// </summary>
internal sealed partial class ConfigPushEndpoint
{
    /// <summary>A push body is <c>{ "group", "version" }</c>; anything near this size is not one.</summary>
    internal const int MaxBodySize = 64 * 1024;

    private readonly GatewayOptions _options;
    private readonly ConfigPullSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<ConfigPushEndpoint> _logger;

    public ConfigPushEndpoint(IOptions<GatewayOptions> options, ConfigPullSignal signal, TimeProvider time, ILogger<ConfigPushEndpoint> logger)
    {
        _options = options.Value;
        _signal = signal;
        _time = time;
        _logger = logger;
    }

    /// <summary>Handles one push.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (string.IsNullOrEmpty(_options.ControlSecret))
        {
            Log.Refused(_logger, remote, "no control secret configured");
            await ControlEndpoints.WriteProblemAsync(context, 401, "unauthorized", "Unauthorized",
                $"This gateway has no control secret ({GatewayOptions.ControlSecretKey}); every push is refused.");
            return;
        }

        byte[]? body;
        try
        {
            body = await ReadBodyAsync(context.Request, context.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            if (Forwarding.HttpForwarder.ClassifyClientBodyError(ex) == Forwarding.ForwarderError.RequestBodyClient)
            {
                // The sender reset or closed mid-body: nobody reads an answer, and answering would make Kestrel drain
                // a body whose failed read left its reader mid-read (an error with a stack trace). Abort quietly, as
                // the traffic port's filters do (BufferedRequestBody.AbortGoneClient).
                context.Abort();
                return;
            }

            await ControlEndpoints.WriteProblemAsync(context, 400, "bad_request", "Bad request", "The push body could not be read.");
            return;
        }

        if (body is null)
        {
            await ControlEndpoints.WriteProblemAsync(context, 413, "payload_too_large", "Payload too large",
                $"A push body is at most {MaxBodySize} bytes.");
            return;
        }

        // The raw request target is what the sender signed; the decoded Path could differ from it.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString;
        // Previous control secrets are accepted too, so an admin still signing with one keeps reaching this node mid-rotation.
        var reason = ControlSignature.VerifyAny(_options.ControlSecret, _options.PreviousControlSecrets,
            context.Request.Headers[ControlSignature.TimestampHeader], context.Request.Headers[ControlSignature.SignatureHeader],
            context.Request.Method, target, body, _time.GetUtcNow(), out _);
        if (reason is not null)
        {
            Log.Refused(_logger, remote, reason);
            await ControlEndpoints.WriteProblemAsync(context, 401, "unauthorized", "Unauthorized", $"Push refused: {reason}.");
            return;
        }

        if (_options.AdminUrl is null)
        {
            await ControlEndpoints.WriteProblemAsync(context, 409, "conflict", "Not managed by an admin",
                "This gateway takes its config from a file (no AdminUrl); there is nothing to pull.");
            return;
        }

        var (group, version) = ReadNotice(body);
        if (group is not null && !string.Equals(group, _options.Group, StringComparison.OrdinalIgnoreCase))
        {
            await ControlEndpoints.WriteProblemAsync(context, 409, "conflict", "Wrong group",
                $"The push is for group '{group}'; this node is in group '{_options.Group}'.");
            return;
        }

        Log.Accepted(_logger, remote, version ?? 0);
        _signal.Request();
        await ControlEndpoints.WriteJsonAsync(context, 202, new { status = "accepted" });
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodySize)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodySize)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The notice's group and version when the body is the documented JSON; the pull works without them.</summary>
    private static (string? Group, long? Version) ReadNotice(byte[] body)
    {
        if (body.Length == 0)
        {
            return (null, null);
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            var group = json.RootElement.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
            long? version = json.RootElement.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
            return (group, version);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3330, Level = LogLevel.Information, Message = "Config push from {Remote} accepted (version {Version}); pulling")]
        public static partial void Accepted(ILogger logger, string remote, long version);

        [LoggerMessage(EventId = 3331, Level = LogLevel.Warning, Message = "Config push from {Remote} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string remote, string reason);
    }
}
