using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters;

/// <summary>
/// One of the gateway's own mechanisms (IP lists, body limit, client certificates, signatures, JWT, login state, rate
/// limits, payload encryption) on the plugin contract. It answers a refused request itself, with the gateway's problem
/// JSON (<see cref="Http.ProblemWriter"/>: the documented codes and headers such as <c>Retry-After</c> or
/// <c>WWW-Authenticate</c>), and tells the chain so with <see cref="PluginResponse.Written"/>.
/// </summary>
/// <remarks>Created by an <see cref="IBuiltInFilterFactory"/> from the API's dedicated policy members, never per request.</remarks>
internal abstract class BuiltInFilter : IGatewayPlugin
{
    /// <inheritdoc/>
    public virtual PluginPhases Phases => PluginPhases.Request;

    /// <summary>The request phase in the mechanism's own terms: false when it has written the answer (the request ends).</summary>
    public abstract ValueTask<bool> OnRequestAsync(HttpContext context);

    ValueTask<PluginResponse?> IGatewayPlugin.OnRequestAsync(PluginContext context)
    {
        var pending = OnRequestAsync(context.Http);
        if (pending.IsCompletedSuccessfully)
        {
            return new ValueTask<PluginResponse?>(pending.Result ? null : PluginResponse.Written);
        }

        return Await(pending);

        static async ValueTask<PluginResponse?> Await(ValueTask<bool> pending) => await pending ? null : PluginResponse.Written;
    }

    /// <inheritdoc/>
    public virtual int MaxResponseBodyBytes => 1024 * 1024;

    /// <inheritdoc/>
    public virtual ValueTask OnResponseBodyAsync(PluginContext context, PluginResponseBody body) => ValueTask.CompletedTask;

    void IGatewayPlugin.OnResponse(PluginContext context)
    {
        // Built-in mechanisms take no part in the header phase (Phases says so; the chain never calls this).
    }
}
