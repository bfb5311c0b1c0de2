using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Engine;

internal static partial class EngineLog
{
    [LoggerMessage(EventId = 4803, Level = LogLevel.Information, Message = "Traffic engine 'loop' listening on {EndPoint} with {Loops} event loops")]
    public static partial void Bound(ILogger logger, string endPoint, int loops);

    [LoggerMessage(EventId = 4804, Level = LogLevel.Warning,
        Message = "Traffic engine 'loop' needs Linux on x86-64; this node runs the 'platform' engine instead")]
    public static partial void Unsupported(ILogger logger);
}
