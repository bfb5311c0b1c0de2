using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Filters.Plugins.Loading;

internal sealed partial class PluginRegistry
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Plugin {Folder} loaded and in force: factories {Factories} (sha256 {Sha256})")]
        public static partial void Loaded(ILogger logger, string folder, string factories, string sha256);

        [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Plugin {Folder} failed; the gateway keeps serving without this version: {Error}")]
        public static partial void Failed(ILogger logger, string folder, string error);

        [LoggerMessage(EventId = 6103, Level = LogLevel.Information,
            Message = "Plugin {Folder} (sha256 {Sha256}) is no longer in force; its load context unloads once the requests using it have finished")]
        public static partial void Unloading(ILogger logger, string folder, string sha256);

        [LoggerMessage(EventId = 6104, Level = LogLevel.Information, Message = "Plugin {Folder} (sha256 {Sha256}) unloaded: its load context was collected {Ms} ms after it left service")]
        public static partial void Unloaded(ILogger logger, string folder, string sha256, double ms);

        [LoggerMessage(EventId = 6105, Level = LogLevel.Warning,
            Message = "Plugin {Folder} (sha256 {Sha256}) left service {Seconds} s ago but its load context is still alive: something holds a reference to it (a static cache, a thread or timer it started, an event it subscribed to; see docs/plugins.md)")]
        public static partial void NotCollected(ILogger logger, string folder, string sha256, double seconds);

        [LoggerMessage(EventId = 6107, Level = LogLevel.Error,
            Message = "Plugin {Folder}: factory {Name} threw in Create for {Entry}; the config naming it was refused and the previous one keeps serving")]
        public static partial void CreateFailed(ILogger logger, string folder, string name, string entry, Exception exception);

        [LoggerMessage(EventId = 6106, Level = LogLevel.Warning, Message = "Plugin {Folder} was removed from the plugins directory but stays in force: {Reason}")]
        public static partial void KeptRemoved(ILogger logger, string folder, string reason);
    }
}
