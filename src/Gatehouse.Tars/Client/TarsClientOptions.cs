namespace Gatehouse.Tars.Client;

/// <summary>Settings of the connections to Tars servers.</summary>
public sealed record TarsClientOptions
{
    /// <summary>Longest wait for a TCP connection to a server. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
