using System.Globalization;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Gateway.Explain;

/// <summary>
/// The route a request with a valid debug token took, written to its response as
/// <c>X-Gatehouse-Route: service=…; api=…; node=…; attempts=…</c> when the response starts (<see cref="DebugToken"/>).
/// Exists only for such requests: on every other request the handler holds null and pays one header lookup.
/// </summary>
internal sealed class DebugRoute
{
    private readonly HttpContext _context;

    private DebugRoute(HttpContext context)
    {
        _context = context;
    }

    public string? Service { get; set; }

    public string? Api { get; set; }

    /// <summary>The node of the latest attempt.</summary>
    public string? Node { get; private set; }

    public int Attempts { get; private set; }

    /// <summary>An attempt at <paramref name="node"/> begins.</summary>
    public void Attempt(NodeModel node)
    {
        Node = node.Id;
        Attempts++;
    }

    /// <summary>Starts a trace that writes its header when the response starts.</summary>
    public static DebugRoute Begin(HttpContext context)
    {
        var route = new DebugRoute(context);
        context.Response.OnStarting(static state => ((DebugRoute)state).WriteHeader(), route);
        return route;
    }

    /// <summary>The header value: names are config ids (no spaces or semicolons), a dash for a step never reached.</summary>
    internal string Value => string.Create(CultureInfo.InvariantCulture,
        $"service={Service ?? "-"}; api={Api ?? "-"}; node={Node ?? "-"}; attempts={Attempts}");

    private Task WriteHeader()
    {
        _context.Response.Headers[DebugToken.RouteHeader] = Value;
        return Task.CompletedTask;
    }
}

/// <summary>
/// Checks debug tokens for this gateway's group with its control secrets, offline. The last valid token is remembered
/// until it expires, so a debugging client sending the same token on every request costs one string comparison after
/// the first.
/// </summary>
internal sealed class DebugTokenCheck
{
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private volatile Verified? _last;

    public DebugTokenCheck(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
    }

    /// <summary>True when the request's <see cref="DebugToken.Header"/> holds a valid token for this group.</summary>
    public bool IsValid(StringValues values)
    {
        if (values.Count != 1 || values[0] is not { Length: > 0 } token)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        if (_last is { } last && string.Equals(last.Token, token, StringComparison.Ordinal) && now < last.Expires)
        {
            return true;
        }

        if (DebugToken.Verify(_options.ControlSecret, _options.PreviousControlSecrets, _options.Group, token, now, out var expires) is not null)
        {
            return false;
        }

        _last = new Verified(token, expires);
        return true;
    }

    private sealed record Verified(string Token, DateTimeOffset Expires);
}
