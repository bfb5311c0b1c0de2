using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// <c>basic-auth</c>: HTTP Basic authentication (RFC 7617) against users whose passwords are stored as PBKDF2-SHA256
/// hashes, never as text. A request without valid credentials is answered 401 with <c>WWW-Authenticate</c>; an
/// authenticated one goes on without its <c>Authorization</c> header (unless <c>hideCredentials: false</c>) and with the
/// user's name in <c>userHeader</c> (default <c>X-Consumer-User</c>; a value the client sent there is replaced).
/// </summary>
/// <remarks>
/// A PBKDF2 check costs milliseconds of CPU by design, too much for every request: a successful check is remembered
/// for five minutes under a SHA-256 of the user and password (so a changed password stops matching at once), in a
/// bounded cache. Failed checks are not remembered; pair the filter with a rate limit against guessing.
/// </remarks>
internal sealed class BasicAuthPlugin(Dictionary<string, PasswordHash> users, string challenge, bool hideCredentials, string userHeader,
    TimeProvider time) : IGatewayPlugin
{
    private const int CacheLimit = 4096;
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, long> _verified = new(StringComparer.Ordinal);
    private readonly PluginResponse _refused = Problems.Unauthorized("Valid credentials are required (HTTP Basic).", [new(HeaderNames.WWWAuthenticate, challenge)]);

    public PluginPhases Phases => PluginPhases.Request;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        var request = context.Http.Request;
        var header = request.Headers.Authorization.ToString();
        if (!TryParse(header, out var user, out var password) || !users.TryGetValue(user, out var hash) || !Verify(user, password, hash))
        {
            return ValueTask.FromResult<PluginResponse?>(_refused);
        }

        if (hideCredentials)
        {
            request.Headers.Remove(HeaderNames.Authorization);
        }

        request.Headers[userHeader] = user;
        return ValueTask.FromResult<PluginResponse?>(null);
    }

    public void OnResponse(PluginContext context)
    {
    }

    private bool Verify(string user, string password, PasswordHash hash)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user + "\0" + password)));
        var now = time.GetTimestamp();
        if (_verified.TryGetValue(key, out var until) && now < until)
        {
            return true;
        }

        if (!hash.Matches(password))
        {
            return false;
        }

        if (_verified.Count >= CacheLimit)
        {
            _verified.Clear();
        }

        _verified[key] = now + (long)(CacheFor.TotalSeconds * time.TimestampFrequency);
        return true;
    }

    private static bool TryParse(string header, out string user, out string password)
    {
        user = password = "";
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[256];
        if (!Convert.TryFromBase64String(header.AsSpan(6).Trim().ToString(), decoded, out var length))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(decoded[..length]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        user = text[..colon];
        password = text[(colon + 1)..];
        return true;
    }
}

/// <summary>A stored password: <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt, base64&gt;$&lt;hash, base64&gt;</c>.</summary>
internal sealed class PasswordHash
{
    internal const int MinIterations = 10_000;
    private const string Scheme = "pbkdf2-sha256";

    private readonly int _iterations;
    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        _iterations = iterations;
        _salt = salt;
        _hash = hash;
    }

    public static PasswordHash? Parse(string text, out string? error)
    {
        error = null;
        var parts = text.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            error = $"expected a password hash '{Scheme}$<iterations>$<salt base64>$<hash base64>', never a password (docs/plugins.md shows how to make one)";
            return null;
        }

        if (!int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iterations)
            || iterations < MinIterations)
        {
            error = $"the iteration count must be a number of at least {MinIterations}";
            return null;
        }

        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            if (salt.Length < 8 || hash.Length < 16)
            {
                error = "the salt must be at least 8 bytes and the hash at least 16";
                return null;
            }

            return new PasswordHash(iterations, salt, hash);
        }
        catch (FormatException)
        {
            error = "the salt and the hash must be base64";
            return null;
        }
    }

    public bool Matches(string password)
    {
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, _salt, _iterations, HashAlgorithmName.SHA256, _hash.Length);
        return CryptographicOperations.FixedTimeEquals(actual, _hash);
    }
}

/// <summary>Creates <see cref="BasicAuthPlugin"/>; see docs/plugins.md for the settings.</summary>
internal sealed class BasicAuthPluginFactory(TimeProvider? time = null) : IGatewayPluginFactory
{
    private static readonly string[] Keys = ["users", "realm", "hideCredentials", "userHeader"];

    public string Name => "basic-auth";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => Read(settings, new SettingsReader());

    private BasicAuthPlugin Read(JsonElement settings, SettingsReader reader)
    {
        var users = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);
        var realm = "gatehouse";
        var hide = true;
        var userHeader = "X-Consumer-User";
        if (settings.ValueKind == JsonValueKind.Undefined || !reader.Object(settings, "", Keys))
        {
            reader.Add("users", "at least one user is required");
        }
        else
        {
            foreach (var (user, value) in reader.StringMap(settings, "users", "") ?? [])
            {
                if (user.Contains(':', StringComparison.Ordinal))
                {
                    reader.Add($"users[{user}]", "a user name cannot contain ':' (RFC 7617)");
                }
                else if (PasswordHash.Parse(value, out var error) is { } hash)
                {
                    users[user] = hash;
                }
                else
                {
                    reader.Add($"users[{user}]", error!);
                }
            }

            if (users.Count == 0 && reader.Errors.Count == 0)
            {
                reader.Add("users", "at least one user is required");
            }

            realm = reader.String(settings, "realm", "") ?? realm;
            if (realm.Contains('"', StringComparison.Ordinal) || !SettingsReader.IsSafeValue(realm))
            {
                reader.Add("realm", "cannot contain '\"' or line breaks");
            }

            hide = reader.Bool(settings, "hideCredentials", "") ?? true;
            userHeader = reader.String(settings, "userHeader", "") ?? userHeader;
            if (!SettingsReader.IsToken(userHeader))
            {
                reader.Add("userHeader", $"'{userHeader}' is not a header name");
            }
        }

        return new BasicAuthPlugin(users, $"Basic realm=\"{realm}\", charset=\"UTF-8\"", hide, userHeader, time ?? TimeProvider.System);
    }
}
