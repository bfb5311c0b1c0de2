namespace Gatehouse.ZooKeeper;

/// <summary>Small recipes on top of <see cref="ZooKeeperClient"/>.</summary>
public static class ZooKeeperClientExtensions
{
    /// <summary>
    /// Creates <paramref name="path"/> and any missing ancestors as empty persistent nodes; existing ones are left
    /// as they are (so concurrent callers may race safely).
    /// </summary>
    public static async Task EnsurePathAsync(this ZooKeeperClient client, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        PathUtilities.Validate(path);
        if (path == "/")
        {
            return;
        }

        // Most calls find the node already there: one round trip in that case.
        if (await client.ExistsAsync(path, cancellationToken: cancellationToken) is not null)
        {
            return;
        }

        var end = 0;
        while (end < path.Length)
        {
            end = path.IndexOf('/', end + 1);
            if (end < 0)
            {
                end = path.Length;
            }

            try
            {
                await client.CreateAsync(path[..end], ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, cancellationToken);
            }
            catch (NodeExistsException)
            {
            }
        }
    }

    /// <summary>Deletes a node and everything below it (children first). A missing node is not an error.</summary>
    public static async Task DeleteRecursiveAsync(this ZooKeeperClient client, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            var children = await client.GetChildrenAsync(path, cancellationToken: cancellationToken);
            foreach (var child in children.Children)
            {
                await client.DeleteRecursiveAsync(PathUtilities.Combine(path, child), cancellationToken);
            }

            await client.DeleteAsync(path, cancellationToken: cancellationToken);
        }
        catch (NoNodeException)
        {
        }
    }
}
