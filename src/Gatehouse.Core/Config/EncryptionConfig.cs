namespace Gatehouse.Core.Config;

/// <summary>
/// Payload encryption of an API with the calling app's key (AES-256-GCM; envelope format in
/// <c>Gatehouse.Core.Security.PayloadEnvelope</c>): request bodies arrive encrypted and are decrypted before they
/// are forwarded, response bodies are encrypted on the way out. Merged as a whole (the innermost level that sets it
/// wins), so an API can turn a service-wide requirement off with <c>required: false</c>.
/// </summary>
[MergedWholePolicy]
public sealed record EncryptionConfig
{
    /// <summary>Default true once an <c>encryption</c> block is given; false turns encryption off at this level.</summary>
    public bool? Required { get; init; }

    /// <summary>
    /// Largest encrypted request body (the envelope as received) and largest response body (as the node sends it)
    /// the gateway buffers; a larger request is refused with 413, a larger response with 502. Default 1048576 (1 MiB).
    /// </summary>
    public int? MaxBodyBytes { get; init; }

    /// <summary>Whether response bodies are encrypted too; default true.</summary>
    public bool? EncryptResponse { get; init; }
}
