namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>Outcome of one acquire, in the limiter's timestamp units.</summary>
/// <param name="Allowed">Whether the request may proceed.</param>
/// <param name="Remaining">Requests still admitted right now at this level (0 when rejected).</param>
/// <param name="Wait">When rejected: timestamp units until a request would be admitted.</param>
/// <param name="Unavailable">Rejected because the shared limiter cannot be reached and the limit fails closed.</param>
internal readonly record struct RateLimitDecision(bool Allowed, long Remaining, long Wait, bool Unavailable = false);
