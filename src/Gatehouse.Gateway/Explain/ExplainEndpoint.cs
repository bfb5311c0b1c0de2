using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Explain;

/// <summary>
/// <c>POST /control/explain</c>: where a described request would go on this gateway, and why (<see cref="RouteExplainer"/>).
/// Signed with the control secret like a config push: the answer lays out services, nodes, addresses and policies,
/// which the control port's unauthenticated reads do not, so an unsigned call gets 401 whatever its body.
/// </summary>
internal sealed partial class ExplainEndpoint
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly SnapshotState _state;
    private readonly RouteExplainer _explainer;
    private readonly TrustedProxies _proxies;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ExplainEndpoint> _logger;

    public ExplainEndpoint(SnapshotState state, RouteExplainer explainer, TrustedProxies proxies, IOptions<GatewayOptions> options,
        TimeProvider time, ILogger<ExplainEndpoint> logger)
    {
        _state = state;
        _explainer = explainer;
        _proxies = proxies;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var body = await SignedControlRequest.ReadAsync(context, _options, _time, "explain", reason => Log.Refused(_logger, remote, reason));
        if (body is null)
        {
            return;
        }

        if (!ExplainRequest.TryParse(body, out var request, out var field, out var message))
        {
            await WriteBadRequestAsync(context, field, message);
            return;
        }

        var described = request!.ToContext(_proxies, out var pathError);
        if (described is null)
        {
            await WriteBadRequestAsync(context, "path", pathError ?? "the path is refused");
            return;
        }

        // One read, as a request does: the explanation is of the snapshot in force now.
        var snapshot = _state.Current;
        if (snapshot is null)
        {
            await ControlEndpoints.WriteProblemAsync(context, 503, "no_config", "No configuration",
                "No configuration has been loaded; see the gateway log.");
            return;
        }

        var explanation = _explainer.Explain(snapshot, described);
        await ControlEndpoints.WriteJsonAsync(context, 200, explanation, Json);
    }

    /// <summary>400 problem JSON naming the field, in the admin API's validation shape (<c>errors: { field: [message] }</c>).</summary>
    private static Task WriteBadRequestAsync(HttpContext context, string field, string message) =>
        ControlEndpoints.WriteJsonAsync(context, 400, new
        {
            type = "urn:gatehouse:problem:bad_request",
            title = "Bad request",
            status = 400,
            code = "bad_request",
            detail = $"{field}: {message}",
            field,
            errors = new Dictionary<string, string[]> { [field] = [message] },
            instance = context.Request.Path.Value,
        });

    private static partial class Log
    {
        [LoggerMessage(EventId = 3340, Level = LogLevel.Warning, Message = "Explain call from {Remote} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string remote, string reason);
    }
}
