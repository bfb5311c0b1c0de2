using System.Security.Cryptography;
using System.Text;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Security;

/// <summary>
/// The admin API's bearer tokens: the configured one, or one generated at first start, printed once and kept only as a
/// SHA-256 hash in <c>admin_tokens</c>. Hashes are loaded once, so checking a request needs no database call.
/// Either one is a token of the bootstrap user <c>admin</c> (<see cref="UserDirectory.TokenAsync"/>).
/// </summary>
internal sealed partial class AdminTokens(IOptions<AdminOptions> options, ILogger<AdminTokens> logger, TimeProvider time)
{
    private volatile IReadOnlySet<string> _hashes = new HashSet<string>();

    /// <summary>Loads the token hashes, generating and announcing a token when none is configured or stored.</summary>
    public void Initialize(AdminDbContext db)
    {
        if (!string.IsNullOrEmpty(options.Value.Token))
        {
            _hashes = new HashSet<string>(StringComparer.Ordinal) { Hash(options.Value.Token) };
            return;
        }

        var stored = db.AdminTokens.Select(t => t.Hash).ToHashSet(StringComparer.Ordinal);
        if (stored.Count == 0)
        {
            var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
            db.AdminTokens.Add(new AdminTokenEntity { Hash = Hash(token), CreatedAt = time.GetUtcNow() });
            db.SaveChanges();
            stored.Add(Hash(token));
            LogGenerated(logger, token);
        }

        _hashes = stored;
    }

    /// <summary>True when <paramref name="hash"/> (see <see cref="Hash"/>) is the configured or generated admin token's.</summary>
    public bool IsKnownHash(string hash) => _hashes.Contains(hash);

    /// <summary>Lower-case hex SHA-256 of the token; comparing hashes keeps the comparison independent of the token's content.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    // Warning so it shows under the default log levels: it is printed once, and the operator must copy it now.
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Generated the admin API token (shown only this once; store it now): {Token}")]
    private static partial void LogGenerated(ILogger logger, string token);
}
