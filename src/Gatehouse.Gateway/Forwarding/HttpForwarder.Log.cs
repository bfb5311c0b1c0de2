using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>Log messages of the forwarder. Nothing is logged for successful requests.</summary>
internal sealed partial class HttpForwarder
{
    /// <summary>Event ids 2100-2199 belong to forwarding.</summary>
    internal static partial class Log
    {
        /// <summary>
        /// A forwarding failure caused by the node, the network or a timeout, with its exception. Failures the client
        /// caused go to <see cref="Observability.ClientErrorLog"/> instead,
        /// without the exception.
        /// </summary>
        [LoggerMessage(EventId = 2101, EventName = "ForwardFailed", Level = LogLevel.Warning,
            Message = "Forwarding to node {NodeId} failed: {Error}")]
        public static partial void ForwardFailed(ILogger logger, ForwarderError error, string nodeId, Exception? exception);
    }
}
