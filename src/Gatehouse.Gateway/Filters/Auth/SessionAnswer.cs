using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>What the session service said about a token.</summary>
internal enum SessionState
{
    LoggedIn,
    LoggedOut,
    Unavailable,
}

/// <summary>
/// One answer of the session service, immutable once made so the cache can hand it to any number of requests.
/// Timestamps are <see cref="TimeProvider.GetTimestamp"/> values.
/// </summary>
internal sealed class SessionAnswer
{
    private SessionAnswer(SessionState state, string? userId, string? reason, long fetchedAt, long expiresAt)
    {
        State = state;
        UserId = userId;
        Reason = reason;
        FetchedAt = fetchedAt;
        ExpiresAt = expiresAt;
    }

    public SessionState State { get; }

    /// <summary>The user id of a logged-in session.</summary>
    public string? UserId { get; }

    /// <summary>Why the service could not answer (for the log; never contains the token).</summary>
    public string? Reason { get; }

    /// <summary>When the answer was received.</summary>
    public long FetchedAt { get; }

    /// <summary>The end of the service's own <c>ttlMs</c>; <see cref="long.MaxValue"/> when it gave none.</summary>
    public long ExpiresAt { get; }

    /// <summary>Longest user id accepted; it travels in a request header.</summary>
    public const int MaxUserIdLength = 256;

    public static SessionAnswer LoggedOut(long now) => new(SessionState.LoggedOut, null, null, now, long.MaxValue);

    public static SessionAnswer Unavailable(string reason, long now) => new(SessionState.Unavailable, null, reason, now, now);

    /// <summary>
    /// Reads the session service's answer: 200 with <c>{"userId": "...", "ttlMs": n}</c> is logged in; 401, 403
    /// and 404 are logged out; anything else (other statuses, bad JSON, an unusable user id) is unavailable, so
    /// the gateway fails closed.
    /// </summary>
    public static SessionAnswer FromResponse(int status, ReadOnlySpan<byte> body, long now, long timestampFrequency)
    {
        if (status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status404NotFound)
        {
            return LoggedOut(now);
        }

        if (status != StatusCodes.Status200OK)
        {
            return Unavailable($"the session service answered {status}", now);
        }

        string? userId = null;
        long? ttlMs = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Unavailable("the session service answered 200 without a JSON object", now);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUserId = reader.ValueTextEquals("userId"u8);
                var isTtl = !isUserId && reader.ValueTextEquals("ttlMs"u8);
                reader.Read();
                if (isUserId)
                {
                    userId = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Number when reader.TryGetInt64(out var number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => null,
                    };
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        reader.Skip();
                    }
                }
                else if (isTtl && reader.TokenType != JsonTokenType.Null)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var ttl) || ttl < 0)
                    {
                        return Unavailable("the session service's ttlMs is not a non-negative integer", now);
                    }

                    ttlMs = ttl;
                }
                else
                {
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return Unavailable("the session service answered 200 with malformed JSON", now);
            }
        }
        catch (JsonException)
        {
            return Unavailable("the session service answered 200 with malformed JSON", now);
        }

        if (!IsUsableUserId(userId))
        {
            return Unavailable("the session service answered 200 without a usable userId", now);
        }

        // A ttl beyond any cacheMs (1 day) is as good as none; the cap keeps the multiplication in range.
        var expiresAt = ttlMs is { } ms ? now + Math.Min(ms, 86_400_000L) * timestampFrequency / 1000 : long.MaxValue;
        return new SessionAnswer(SessionState.LoggedIn, userId, null, now, expiresAt);
    }

    /// <summary>Printable ASCII without surrounding spaces, so it can go into a request header as is.</summary>
    private static bool IsUsableUserId(string? userId)
    {
        if (string.IsNullOrEmpty(userId) || userId.Length > MaxUserIdLength || userId[0] == ' ' || userId[^1] == ' ')
        {
            return false;
        }

        foreach (var c in userId)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
