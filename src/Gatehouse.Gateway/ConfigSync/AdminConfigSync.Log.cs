using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.ConfigSync;

internal sealed partial class AdminConfigSync
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3310, Level = LogLevel.Information, Message = "Config comes from the admin at {AdminUrl} (group {Group}, node {NodeId}); local snapshot file {SnapshotPath}")]
        public static partial void Starting(ILogger logger, string adminUrl, string group, string nodeId, string snapshotPath);

        [LoggerMessage(EventId = 3311, Level = LogLevel.Warning, Message = "ConfigPath {Path} is ignored because AdminUrl is set; the admin is the config source")]
        public static partial void ConfigPathIgnored(ILogger logger, string path);

        [LoggerMessage(EventId = 3312, Level = LogLevel.Warning, Message = "No control secret ({Key}) is set: calls to the admin go unsigned and will be refused, and every push is refused")]
        public static partial void NoControlSecret(ILogger logger, string key);

        [LoggerMessage(EventId = 3313, Level = LogLevel.Warning, Message = "Admin {AdminUrl} unreachable ({Reason}); {Serving}; retrying with backoff")]
        public static partial void AdminUnreachable(ILogger logger, string adminUrl, string reason, string serving);

        [LoggerMessage(EventId = 3314, Level = LogLevel.Debug, Message = "Admin still unreachable: {Reason}")]
        public static partial void StillUnreachable(ILogger logger, string reason);

        [LoggerMessage(EventId = 3315, Level = LogLevel.Information, Message = "Admin {AdminUrl} reachable again")]
        public static partial void AdminReachable(ILogger logger, string adminUrl);

        [LoggerMessage(EventId = 3316, Level = LogLevel.Error, Message = "Snapshot from the admin rejected; the previous config keeps serving. {Reason}")]
        public static partial void DocumentRejected(ILogger logger, string reason);

        [LoggerMessage(EventId = 3317, Level = LogLevel.Warning, Message = "Admin served version {Version}, not newer than version {Current} in force; ignored")]
        public static partial void OlderIgnored(ILogger logger, long version, long current);

        [LoggerMessage(EventId = 3318, Level = LogLevel.Warning, Message = "Serving config version {Version} from the local snapshot file {Path} until the admin gives one")]
        public static partial void ServingFromSnapshotFile(ILogger logger, long version, string path);

        [LoggerMessage(EventId = 3319, Level = LogLevel.Error, Message = "No config: the admin gave none at start and there is no local snapshot file at {Path}; requests get 503 no_config until one arrives from the admin")]
        public static partial void NoConfigAvailable(ILogger logger, string path);

        [LoggerMessage(EventId = 3320, Level = LogLevel.Error, Message = "Local snapshot file {Path} cannot be used: {Reason}")]
        public static partial void SnapshotFileUnusable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 3321, Level = LogLevel.Error, Message = "Writing the local snapshot file {Path} failed: {Reason}")]
        public static partial void SnapshotFileWriteFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 3322, Level = LogLevel.Error, Message = "Config sync iteration failed; retrying")]
        public static partial void IterationFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3323, Level = LogLevel.Error,
            Message = "The admin refuses this gateway's signature ({Reason}); this node's {Key} is neither the admin's control secret nor one of its previous ones; {Serving}; retrying")]
        public static partial void SignatureRefused(ILogger logger, string reason, string key, string serving);

        [LoggerMessage(EventId = 3324, Level = LogLevel.Error,
            Message = "The admin {AdminUrl} refuses this gateway's calls ({Reason}): no control secret ({Key}) is set on this node, so they go unsigned; set it to the admin's; {Serving}; retrying")]
        public static partial void UnsignedRefused(ILogger logger, string adminUrl, string reason, string key, string serving);

        [LoggerMessage(EventId = 3325, Level = LogLevel.Debug, Message = "The admin still refuses this gateway: {Reason}")]
        public static partial void StillRefused(ILogger logger, string reason);

        [LoggerMessage(EventId = 3326, Level = LogLevel.Information, Message = "The admin {AdminUrl} accepts this gateway's calls again")]
        public static partial void SignatureAccepted(ILogger logger, string adminUrl);

        [LoggerMessage(EventId = 3327, Level = LogLevel.Error,
            Message = "Config version {Version} not applied: {Error}; {Serving}; retrying with the next pull")]
        public static partial void PluginsUnavailable(ILogger logger, long version, string error, string serving);
    }
}
