using System.Security.Cryptography;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Gatehouse.Core.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Security;

/// <summary>
/// The admin's two ciphers for app secrets: at rest in the store (AES-256-GCM under the master key, a random nonce per
/// write, bound to group and appKey) and in transport to gateways (<see cref="AppSecretTransport"/>, keyed by the
/// control secret). Plaintext secrets exist only in memory, while a snapshot is validated and sealed.
/// </summary>
/// <remarks>
/// <para>The master key is <c>Gatehouse:Admin:SecretKey</c> (base64, 32 bytes) or a key file generated at first start
/// (<see cref="AdminOptions.SecretKeyFile"/>, mode 0600). It is loaded on first use, so an admin without apps never needs one.</para>
/// <para>Rotation: <see cref="AdminOptions.PreviousSecretKeys"/> still open what they sealed. Every stored value names
/// its key (<see cref="SecretEnvelope.KeyId"/>); values stored before key ids existed are tried under the current key,
/// then the previous ones. <see cref="SecretKeyRotation"/> re-seals them all under the current key.</para>
/// </remarks>
internal sealed partial class AppSecretVault(IOptions<AdminOptions> options, IConfiguration configuration, ILogger<AppSecretVault> logger)
{
    private const string KeyFileName = "secret-key";

    private readonly Lazy<MasterKey> _key = new(() => new MasterKey(LoadKey(options.Value, logger)));
    private readonly Lazy<MasterKey[]> _previousKeys = new(() => ParsePrevious(options.Value));
    private readonly Lazy<AppSecretTransport?> _transport = new(() => AppSecretTransport.For(configuration[AdminOptions.ControlSecretKey],
        ControlSignatureCheck.ReadList(configuration, AdminOptions.PreviousControlSecretsKey)));

    /// <summary>Checks a configured <see cref="AdminOptions.SecretKey"/> and the previous keys at start, so a malformed one stops the admin rather than its first app write.</summary>
    public void CheckConfiguredKey()
    {
        if (!string.IsNullOrEmpty(options.Value.SecretKey))
        {
            _ = _key.Value;
        }

        _ = _previousKeys.Value;
    }

    /// <summary>The id of the current master key (<see cref="SecretEnvelope.KeyId"/>); loads (or generates) the key.</summary>
    public string KeyId => _key.Value.Id;

    /// <summary>The transport cipher, or null when the admin has no control secret (then no inline secret can be published).</summary>
    public AppSecretTransport? Transport => _transport.Value;

    /// <summary>The stored (at-rest) form of <paramref name="secret"/> for app <paramref name="appKey"/> of <paramref name="group"/>, under the current master key.</summary>
    public string Encrypt(string group, string appKey, string secret) =>
        SecretEnvelope.Seal(_key.Value.Key, RandomNumberGenerator.GetBytes(SecretEnvelope.NonceBytes), secret, AssociatedData(group, appKey));

    /// <summary>
    /// Decrypts a stored secret with the key it names (current or previous); throws <see cref="SecretKeyMismatchException"/>
    /// when none of the configured master keys opens it.
    /// </summary>
    public string Decrypt(string group, string appKey, string stored) =>
        TryDecrypt(group, appKey, stored, out var secret, out _)
            ? secret
            : throw new SecretKeyMismatchException(group, appKey);

    /// <summary>Which master key a stored value is under: <see cref="StoredKey.Current"/>, <see cref="StoredKey.Previous"/> or <see cref="StoredKey.Unknown"/>.</summary>
    public StoredKey Classify(string group, string appKey, string stored)
    {
        if (!SecretEnvelope.TryReadKeyId(stored, out var keyId))
        {
            return StoredKey.Unknown;
        }

        if (keyId is not null)
        {
            return keyId == _key.Value.Id ? StoredKey.Current
                : _previousKeys.Value.Any(k => k.Id == keyId) ? StoredKey.Previous
                : StoredKey.Unknown;
        }

        return TryDecrypt(group, appKey, stored, out _, out var current) ? (current ? StoredKey.Current : StoredKey.Previous) : StoredKey.Unknown;
    }

    private bool TryDecrypt(string group, string appKey, string stored, out string secret, out bool underCurrent)
    {
        secret = "";
        underCurrent = false;
        if (!SecretEnvelope.TryReadKeyId(stored, out var keyId))
        {
            return false;
        }

        var associatedData = AssociatedData(group, appKey);
        var current = _key.Value;
        if ((keyId is null || keyId == current.Id) && SecretEnvelope.TryOpen(current.Key, stored, associatedData, out secret))
        {
            underCurrent = true;
            return true;
        }

        foreach (var previous in _previousKeys.Value)
        {
            if ((keyId is null || keyId == previous.Id) && SecretEnvelope.TryOpen(previous.Key, stored, associatedData, out secret))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="config"/> (secrets in plaintext, as built from the store) with every inline secret sealed for
    /// transport, as it is published; errors name <c>apps[key].secret</c> when the admin has no control secret.
    /// </summary>
    public GatewayConfig SealForTransport(GatewayConfig config, out IReadOnlyList<ConfigError> errors)
    {
        errors = [];
        if (config.Apps is null)
        {
            return config;
        }

        var transport = Transport;
        var failed = new List<ConfigError>();
        var apps = new List<AppConfig>(config.Apps.Count);
        foreach (var app in config.Apps)
        {
            if (app.Secret is null || SecretEnvelope.IsEnvelope(app.Secret))
            {
                apps.Add(app);
            }
            else if (transport is null)
            {
                failed.Add(new ConfigError(null, $"apps[{app.AppKey}].secret",
                    $"the admin has no control secret ({AdminOptions.ControlSecretKey}) to encrypt the secret for gateways; set one, or use secretRef"));
                apps.Add(app with { Secret = null });
            }
            else
            {
                apps.Add(app with { Secret = transport.Seal(app.AppKey, app.Secret) });
            }
        }

        errors = failed;
        return config with { Apps = apps };
    }

    /// <summary>
    /// <paramref name="config"/> with <c>enc:v1:</c> secrets (from an export, a published version, or another admin
    /// with the same control secret) opened to plaintext, ready to be stored; errors name <c>apps[key].secret</c>.
    /// </summary>
    public GatewayConfig OpenForImport(GatewayConfig config, string source, out IReadOnlyList<ConfigError> errors)
    {
        errors = [];
        if (config.Apps is null || !config.Apps.Any(a => SecretEnvelope.IsEnvelope(a?.Secret)))
        {
            return config;
        }

        var transport = Transport;
        var failed = new List<ConfigError>();
        var apps = new List<AppConfig>(config.Apps.Count);
        for (var i = 0; i < config.Apps.Count; i++)
        {
            var app = config.Apps[i];
            if (app is null || !SecretEnvelope.IsEnvelope(app.Secret))
            {
                apps.Add(app!);
                continue;
            }

            if (transport is not null && transport.TryOpen(app.AppKey, app.Secret!, out var secret))
            {
                apps.Add(app with { Secret = secret });
                continue;
            }

            failed.Add(new ConfigError(source, $"apps[{(string.IsNullOrWhiteSpace(app.AppKey) ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : app.AppKey)}].secret",
                transport is null
                    ? $"the secret is encrypted (enc:v1:) but the admin has no control secret ({AdminOptions.ControlSecretKey}) to decrypt it"
                    : "the secret is encrypted (enc:v1:) under another control secret (or for another appKey) and cannot be decrypted here; give it in plaintext"));
            apps.Add(app with { Secret = null });
        }

        errors = failed;
        return config with { Apps = apps };
    }

    /// <summary>Where the key file is: configured, next to the SQLite file, or <c>./data</c>.</summary>
    public static string KeyFilePath(AdminOptions options)
    {
        if (!string.IsNullOrEmpty(options.SecretKeyFile))
        {
            return Path.GetFullPath(options.SecretKeyFile);
        }

        if (options.Provider != AdminStorageExtensions.Postgres)
        {
            var dataSource = new SqliteConnectionStringBuilder(options.Database).DataSource;
            if (!string.IsNullOrEmpty(dataSource) && dataSource != ":memory:")
            {
                return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataSource))!, KeyFileName);
            }
        }

        return Path.GetFullPath(Path.Combine("data", KeyFileName));
    }

    // Group and appKey as associated data: a stored cipher text copied onto another app's row does not decrypt.
    private static string AssociatedData(string group, string appKey) => $"{group}\0{appKey}";

    private static byte[] LoadKey(AdminOptions options, ILogger logger)
    {
        if (!string.IsNullOrEmpty(options.SecretKey))
        {
            return Parse(options.SecretKey, "Gatehouse:Admin:SecretKey");
        }

        var path = KeyFilePath(options);
        if (File.Exists(path))
        {
            return Parse(File.ReadAllText(path).Trim(), path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(32);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created 0600 rather than chmod-ed afterwards, so the key is never readable by others, not even briefly.
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var writer = new StreamWriter(new FileStream(path, fileOptions));
            writer.WriteLine(Convert.ToBase64String(key));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another admin process on this machine created it first: use theirs.
            return Parse(File.ReadAllText(path).Trim(), path);
        }

        LogGenerated(logger, path);
        return key;
    }

    private static MasterKey[] ParsePrevious(AdminOptions options)
    {
        var keys = new MasterKey[options.PreviousSecretKeys.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = new MasterKey(Parse(options.PreviousSecretKeys[i]?.Trim() ?? "", $"Gatehouse:Admin:PreviousSecretKeys:{i}"));
        }

        return keys;
    }

    private static byte[] Parse(string base64, string source)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"the app secret key in {source} is not base64");
        }

        return key.Length == 32
            ? key
            : throw new InvalidOperationException($"the app secret key in {source} is {key.Length} bytes; 32 are required");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Generated the key that encrypts app secrets at rest: {Path}. Back it up; without it the stored app secrets cannot be read.")]
    private static partial void LogGenerated(ILogger logger, string path);
}

/// <summary>Which configured master key a stored app secret is sealed under.</summary>
internal enum StoredKey
{
    Current,
    Previous,

    /// <summary>None of the configured keys (lost key, or a damaged row).</summary>
    Unknown,
}

/// <summary>A master key and its id.</summary>
internal sealed class MasterKey(byte[] key)
{
    public byte[] Key { get; } = key;

    public string Id { get; } = SecretEnvelope.KeyId(key);
}

/// <summary>A stored app secret that does not decrypt with this admin's master key (another key, or a damaged row).</summary>
internal sealed class SecretKeyMismatchException(string group, string appKey)
    : Exception($"the stored secret of app '{appKey}' in group '{group}' does not decrypt with this admin's secret key "
        + "(Gatehouse:Admin:SecretKey or the key file) nor any of Gatehouse:Admin:PreviousSecretKeys; was the key changed or lost? "
        + "Set the app's secret again to recover")
{
    public string Group { get; } = group;

    public string AppKey { get; } = appKey;
}
