using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Gatehouse.Plugins;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.ConfigSync;

internal sealed partial class ConfigApplier
{
    /// <summary>
    /// Compiles the config in force again against <paramref name="candidate"/> (a plugin was loaded, replaced or removed)
    /// and, when that succeeds, calls <paramref name="commit"/> and publishes the new snapshot, both inside the applier's
    /// gate: no config can be applied in between, and requests see either the old plugins or the new ones, never a mix.
    /// </summary>
    /// <returns>Null when the candidate is in force (with no config yet, it is committed at once); otherwise why the
    /// config in force cannot be compiled with it, and nothing changed.</returns>
    public Task<ConfigException?> RecompileAsync(PluginCatalog candidate, Action commit, CancellationToken cancellationToken = default) =>
        RecompileAsync(() => (candidate, commit), cancellationToken);

    /// <summary>
    /// As <see cref="RecompileAsync(PluginCatalog, Action, CancellationToken)"/>, with the candidate built by
    /// <paramref name="prepare"/> inside the gate (so it can take in what another source put in force meanwhile).
    /// </summary>
    public async Task<ConfigException?> RecompileAsync(Func<(PluginCatalog Candidate, Action Commit)> prepare, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            PluginCatalog candidate;
            Action commit;
            try
            {
                (candidate, commit) = prepare();
            }
            catch (ArgumentException ex)
            {
                // Two plugins name the same filter (a folder and a distributed package).
                return new ConfigException([new ConfigError(null, "plugins", ex.Message)]);
            }

            var current = _state.Current;
            if (current is null)
            {
                commit();
                return null;
            }

            ConfigSnapshot snapshot;
            try
            {
                // Same config, same version and checksum: what changed is the code behind some of its filters.
                snapshot = _compiler.Compile(current.Config, current.Source, current.Version, current.Checksum, candidate);
            }
            catch (ConfigException ex)
            {
                return ex;
            }

            commit();
            _state.Publish(snapshot);
            _nodeStates.Retain(snapshot);
            _rateLimiters.Retain(snapshot.RateLimitScopes);
            _resilience?.Retain(snapshot);
            Log.Recompiled(_logger, snapshot.Version, string.Join(", ", candidate.Names));
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Config version {Version} recompiled for a plugin change; plugins in force: {Plugins}")]
        public static partial void Recompiled(ILogger logger, long version, string plugins);
    }
}
