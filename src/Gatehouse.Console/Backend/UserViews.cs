namespace Gatehouse.Console.Backend;

/// <summary>A user as <c>GET /api/v1/users</c> lists it.</summary>
public sealed record UserView(string Name, string Role, bool Disabled, bool Locked, DateTimeOffset? LockedUntil, int FailedLogins,
    DateTimeOffset CreatedAt);

/// <summary>An API token as lists show it (its first characters only).</summary>
public sealed record TokenView(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A token just created: the only answer that carries the token itself.</summary>
public sealed record CreatedTokenView(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, string Token);
