namespace Gatehouse.Admin.Storage;

/// <summary>
/// One app (a signing caller) of a group: its non-secret fields as <c>AppConfig</c> JSON (no <c>secret</c>) and, when it
/// has an inline secret, that secret encrypted under the admin's master key (<see cref="Security.AppSecretVault"/>).
/// </summary>
internal sealed class AppEntity
{
    public string Group { get; set; } = "";

    public string AppKey { get; set; } = "";

    /// <summary>Order in the published config; list order is part of the checksum, so it is kept.</summary>
    public int Position { get; set; }

    /// <summary>Permissions, enabled, description and <c>secretRef</c>, in <c>ConfigSerializer</c> JSON; never the secret.</summary>
    public string Json { get; set; } = "";

    /// <summary><c>enc:v1:{nonce}:{ciphertext+tag}</c> under the master key; null when the app uses <c>secretRef</c>.</summary>
    public string? SecretCipher { get; set; }

    /// <summary>Optimistic-concurrency revision; starts at 1 and grows by one per change.</summary>
    public long Revision { get; set; }
}
