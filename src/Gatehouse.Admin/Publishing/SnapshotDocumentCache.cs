using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Admin.Publishing;

/// <summary>
/// The body of <c>GET /api/v1/gateway/config</c> for the newest version of each group (and of its gray config), kept
/// in memory: every gateway of a group pulls the same version right after a push, and the snapshot row is the only
/// large read of a pull. Built without parsing: the stored snapshot is already the config's canonical JSON.
/// </summary>
/// <remarks>
/// Never stale: the pull asks the store for the current version and checksum first (a small indexed read) and only takes
/// a body of exactly that version and checksum from here, so a version another admin committed is simply a miss. The
/// checksum is part of the key because a group that is deleted and created again reuses its version numbers.
/// </remarks>
internal sealed class SnapshotDocumentCache
{
    private readonly ConcurrentDictionary<(string Group, bool Gray), Entry> _entries = new();

    /// <summary>The body of (<paramref name="group"/>, <paramref name="version"/>, <paramref name="checksum"/>), if kept.</summary>
    public byte[]? Find(string group, bool gray, long version, string checksum) =>
        _entries.TryGetValue((group, gray), out var entry) && entry.Version == version && entry.Checksum == checksum ? entry.Body : null;

    /// <summary>Builds the body of a stored snapshot and keeps it as the group's latest (unless a newer one is kept).</summary>
    public byte[] Put(string group, bool gray, long version, string checksum, string snapshot)
    {
        var body = Build(group, version, checksum, snapshot);
        _entries.AddOrUpdate((group, gray), new Entry(version, checksum, body),
            (_, kept) => kept.Version > version ? kept : new Entry(version, checksum, body));
        return body;
    }

    /// <summary>Forgets a deleted group, so its memory goes with it.</summary>
    public void Forget(string group)
    {
        _entries.TryRemove((group, false), out _);
        _entries.TryRemove((group, true), out _);
    }

    /// <summary>
    /// <c>{"group":…,"version":…,"checksum":…,"config":…}</c> (the snapshot document of docs/sync-protocol.md) around the
    /// stored snapshot text as it is.
    /// </summary>
    internal static byte[] Build(string group, long version, string checksum, string snapshot)
    {
        var text = new StringBuilder(snapshot.Length + group.Length + checksum.Length + 64)
            .Append("{\"group\":").Append(JsonSerializer.Serialize(group))
            .Append(",\"version\":").Append(version.ToString(CultureInfo.InvariantCulture))
            .Append(",\"checksum\":").Append(JsonSerializer.Serialize(checksum))
            .Append(",\"config\":").Append(snapshot).Append('}');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private sealed record Entry(long Version, string Checksum, byte[] Body);
}
