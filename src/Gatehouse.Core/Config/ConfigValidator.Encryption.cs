namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>Smallest useful limit: the envelope of an empty body (29 bytes of framing, 2 of content-type length).</summary>
    private const int MinEncryptedBody = 64;
    private const int MaxEncryptedBody = 64 * 1024 * 1024;

    /// <remarks>
    /// <c>maxBodyBytes</c> 64 bytes to 64 MiB: both bodies are buffered whole (AES-GCM authenticates a message only
    /// at its end, so nothing may be forwarded before the tag checked out).
    /// </remarks>
    private static void ValidateEncryption(Errors errors, string entry, EncryptionConfig encryption)
    {
        if (encryption.MaxBodyBytes is < MinEncryptedBody or > MaxEncryptedBody)
        {
            errors.Add($"{entry}.maxBodyBytes",
                $"must be between {MinEncryptedBody} and {MaxEncryptedBody} (64 MiB), got {encryption.MaxBodyBytes}");
        }
    }
}
