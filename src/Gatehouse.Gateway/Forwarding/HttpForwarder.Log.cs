using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>Log messages of the forwarder. Nothing is logged for successful requests.</summary>
internal sealed partial class HttpForwarder
{
    /// <summary>Event ids 2100-2199 belong to forwarding.</summary>
    internal static partial class Log
    {
        /// <summary>A forwarding failure caused by the node, the network or a timeout.</summary>
        [LoggerMessage(EventId = 2101, EventName = "ForwardFailed", Level = LogLevel.Warning,
            Message = "Forwarding to node {NodeId} failed: {Error}")]
        public static partial void ForwardFailed(ILogger logger, ForwarderError error, string nodeId, Exception? exception);

        /// <summary>
        /// The client went away or broke off its body: not a gateway or node problem, so Debug, as in YARP, to
        /// keep routine disconnects out of production logs.
        /// </summary>
        [LoggerMessage(EventId = 2102, EventName = "ClientCanceled", Level = LogLevel.Debug,
            Message = "Forwarding to node {NodeId} ended by the client: {Error}")]
        public static partial void ClientCanceled(ILogger logger, ForwarderError error, string nodeId, Exception? exception);
    }
}
