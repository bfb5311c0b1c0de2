using Gatehouse.Core.Config;

namespace Gatehouse.Console.Backend;

/// <summary>A group as <c>GET /api/v1/groups</c> lists it.</summary>
public sealed record GroupView(string Name, long Revision, long Version, DateTimeOffset CreatedAt);

/// <summary>One page of a list resource.</summary>
public sealed record PageView<T>(IReadOnlyList<T> Items, int Total);

/// <summary>A service with the revision a write quotes.</summary>
public sealed record ServiceView(string Name, long Revision, ServiceConfig Service);
