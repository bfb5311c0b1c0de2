using Microsoft.AspNetCore.Http;

namespace Gatehouse.Plugins;

/// <summary>
/// A response a filter answers with instead of forwarding the request. Immutable, so a filter can build a fixed one
/// once (in <see cref="IGatewayPluginFactory.Create"/>) and return it on every request without allocating.
/// </summary>
/// <param name="Status">HTTP status code, 100 to 599.</param>
/// <param name="Headers">Response headers, in order; a name may repeat to send several values.</param>
/// <param name="Body">The body; empty for none.</param>
public sealed record PluginResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body)
{
    /// <summary>A response with a status only: no headers, no body.</summary>
    public PluginResponse(int status)
        : this(status, [], ReadOnlyMemory<byte>.Empty)
    {
    }

    /// <summary>
    /// Returned by a filter that has written its answer itself through <c>context.Http.Response</c> (status, headers and
    /// body): the request ends there and the gateway adds nothing. The gateway's own mechanisms answer this way, with
    /// problem JSON.
    /// </summary>
    public static PluginResponse Written { get; } = new(StatusCodes.Status200OK);
}
