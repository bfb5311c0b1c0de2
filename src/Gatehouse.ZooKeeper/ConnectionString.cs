using System.Globalization;

namespace Gatehouse.ZooKeeper;

/// <summary>A parsed connect string: <c>host1:port1,host2:port2[/chroot]</c>.</summary>
public sealed record ConnectionString(IReadOnlyList<(string Host, int Port)> Servers, string Chroot)
{
    /// <summary>Port used when a server is given without one.</summary>
    public const int DefaultPort = 2181;

    /// <summary>Parses a connect string; throws <see cref="FormatException"/> naming the bad part.</summary>
    public static ConnectionString Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var chroot = "";
        var hosts = value.Trim();
        var slash = hosts.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            chroot = hosts[slash..].TrimEnd('/');
            hosts = hosts[..slash];
            if (chroot.Length > 0)
            {
                PathUtilities.Validate(chroot);
            }
        }

        var servers = new List<(string, int)>();
        foreach (var part in hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // The last colon separates the port, so bracketed IPv6 literals ("[::1]:2181") parse too.
            var colon = part.LastIndexOf(':');
            var bracketEnd = part.LastIndexOf(']');
            if (colon > bracketEnd && colon > 0)
            {
                if (!int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    throw new FormatException($"ZooKeeper connect string '{value}': bad port in '{part}'.");
                }

                servers.Add((part[..colon].Trim('[', ']'), port));
            }
            else
            {
                servers.Add((part.Trim('[', ']'), DefaultPort));
            }
        }

        if (servers.Count == 0)
        {
            throw new FormatException($"ZooKeeper connect string '{value}' names no server.");
        }

        return new ConnectionString(servers, chroot);
    }
}

internal static class PathUtilities
{
    /// <summary>Checks a node path the way the server would, so a bad path fails before it is sent.</summary>
    public static void Validate(string path, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] != '/')
        {
            throw new ArgumentException($"ZooKeeper path '{path}' must start with '/'.", nameof(path));
        }

        if (path.Length == 1)
        {
            return;
        }

        // A sequential create may end in '/' (the server appends the counter as the name).
        if (path[^1] == '/' && !sequential)
        {
            throw new ArgumentException($"ZooKeeper path '{path}' must not end with '/'.", nameof(path));
        }

        var segments = path.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0 && !(sequential && i == segments.Length - 1))
            {
                throw new ArgumentException($"ZooKeeper path '{path}' has an empty segment.", nameof(path));
            }

            if (segment is "." or "..")
            {
                throw new ArgumentException($"ZooKeeper path '{path}' has a relative segment '{segment}'.", nameof(path));
            }

            if (segment.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"ZooKeeper path '{path}' contains a null character.", nameof(path));
            }
        }
    }

    /// <summary>The parent of a path ("/a/b" → "/a", "/a" → "/").</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>Joins a parent path and a child name.</summary>
    public static string Combine(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;
}
