namespace Gatehouse.Gateway.Model;

/// <summary>
/// Holds the current snapshot. Readers do one volatile read per request; the single writer (the config
/// applier) swaps the reference after the new snapshot is fully compiled, so there is never a partial window.
/// </summary>
public sealed class SnapshotState
{
    private volatile ConfigSnapshot? _current;

    /// <summary>Raised after a new snapshot is published (on the applier's thread).</summary>
    public event Action<ConfigSnapshot>? Published;

    /// <summary>The snapshot in force, or null before the first successful load.</summary>
    public ConfigSnapshot? Current => _current;

    public void Publish(ConfigSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _current = snapshot;
        Published?.Invoke(snapshot);
    }
}
