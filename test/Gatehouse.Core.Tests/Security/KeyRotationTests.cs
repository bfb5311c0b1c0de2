using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Security;

namespace Gatehouse.Core.Tests.Security;

/// <summary>Key ids in envelopes, previous control secrets for transport sealing and control signatures.</summary>
public class KeyRotationTests
{
    private const string Secret = "plain-secret-0123456789";

    [Fact]
    public void Envelope_NamesItsKey_AndTheIdIsStableAndDiffersPerKey()
    {
        var keyA = Enumerable.Repeat((byte)1, 32).ToArray();
        var keyB = Enumerable.Repeat((byte)2, 32).ToArray();
        var value = SecretEnvelope.Seal(keyA, new byte[SecretEnvelope.NonceBytes], Secret, "ad");

        Assert.True(SecretEnvelope.TryReadKeyId(value, out var id));
        Assert.Equal(SecretEnvelope.KeyId(keyA), id);
        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(keyA).AsSpan(0, 8)), id);
        Assert.NotEqual(SecretEnvelope.KeyId(keyA), SecretEnvelope.KeyId(keyB));
        Assert.StartsWith($"enc:v1:{id}:", value, StringComparison.Ordinal);
        Assert.True(SecretEnvelope.TryOpen(keyA, value, "ad", out var opened));
        Assert.Equal(Secret, opened);
        Assert.False(SecretEnvelope.TryOpen(keyB, value, "ad", out _));
    }

    [Fact]
    public void Envelope_WithoutKeyId_AsWrittenBeforeKeyIds_StillOpens()
    {
        var key = Enumerable.Repeat((byte)7, 32).ToArray();
        var legacy = LegacySeal(key, Secret, "ad");

        Assert.True(SecretEnvelope.TryReadKeyId(legacy, out var id));
        Assert.Null(id);
        Assert.True(SecretEnvelope.TryOpen(key, legacy, "ad", out var opened));
        Assert.Equal(Secret, opened);
        Assert.False(SecretEnvelope.TryReadKeyId("enc:v1:a:b:c:d", out _));
        Assert.False(SecretEnvelope.TryReadKeyId("enc:v1:nocolon", out _));
        Assert.False(SecretEnvelope.TryReadKeyId("plain", out _));
    }

    [Fact]
    public void Transport_SealsWithCurrent_OpensCurrentAndPrevious_AndStaysDeterministic()
    {
        var old = new AppSecretTransport("old-secret");
        var rotating = new AppSecretTransport("new-secret", ["old-secret"]);
        var underOld = old.Seal("app-a", Secret);
        var underNew = rotating.Seal("app-a", Secret);

        // Sealing with the current secret is the same with or without previous ones: the published checksum stays put.
        Assert.Equal(new AppSecretTransport("new-secret").Seal("app-a", Secret), underNew);
        Assert.Equal(underNew, rotating.Seal("app-a", Secret));
        Assert.Contains(rotating.KeyId, underNew, StringComparison.Ordinal);
        Assert.Equal([old.KeyId], rotating.PreviousKeyIds);

        Assert.True(rotating.TryOpen("app-a", underOld, out var fromOld));
        Assert.Equal(Secret, fromOld);
        Assert.True(rotating.TryOpen("app-a", underNew, out var fromNew));
        Assert.Equal(Secret, fromNew);
        Assert.False(old.TryOpen("app-a", underNew, out _));
        Assert.True(rotating.IsSealedUnderCurrent("app-a", underNew));
        Assert.False(rotating.IsSealedUnderCurrent("app-a", underOld));

        var failure = old.DescribeFailure(underNew);
        Assert.Contains($"key id '{rotating.KeyId}'", failure, StringComparison.Ordinal);
        Assert.Contains($"'{old.KeyId}'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Transport_LegacyEnvelopeWithoutKeyId_OpensWithCurrentOrPrevious()
    {
        var legacy = LegacyTransportSeal("old-secret", "app-a", Secret);

        Assert.True(new AppSecretTransport("new-secret", ["old-secret"]).TryOpen("app-a", legacy, out var opened));
        Assert.Equal(Secret, opened);
        Assert.True(new AppSecretTransport("old-secret").IsSealedUnderCurrent("app-a", legacy));
        Assert.False(new AppSecretTransport("new-secret", ["old-secret"]).IsSealedUnderCurrent("app-a", legacy));
        Assert.False(new AppSecretTransport("new-secret").TryOpen("app-a", legacy, out _));
    }

    [Fact]
    public void ControlSignature_VerifyAny_AcceptsCurrentOrPrevious_NamesWhichMatched()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var ts = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var byOld = ControlSignature.Sign("old", now.ToUnixTimeSeconds(), "GET", "/x", []);
        var byNew = ControlSignature.Sign("new", now.ToUnixTimeSeconds(), "GET", "/x", []);
        var byOther = ControlSignature.Sign("other", now.ToUnixTimeSeconds(), "GET", "/x", []);

        Assert.Null(ControlSignature.VerifyAny("new", ["old"], ts, byNew, "GET", "/x", [], now, out var matched));
        Assert.Equal(0, matched);
        Assert.Null(ControlSignature.VerifyAny("new", ["old"], ts, byOld, "GET", "/x", [], now, out matched));
        Assert.Equal(1, matched);
        Assert.Contains("previous", ControlSignature.VerifyAny("new", ["old"], ts, byOther, "GET", "/x", [], now, out matched),
            StringComparison.Ordinal);
        Assert.Equal(-1, matched);
        Assert.NotNull(ControlSignature.VerifyAny("new", [], ts, byOld, "GET", "/x", [], now, out _));
        Assert.Contains("window", ControlSignature.VerifyAny("new", ["old"], "1", byOld, "GET", "/x", [], now, out _),
            StringComparison.Ordinal);
    }

    // The envelope as written before key ids: enc:v1:{nonce}:{ciphertext+tag}.
    private static string LegacySeal(byte[] key, string secret, string associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(SecretEnvelope.NonceBytes);
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[plaintext.Length + 16];
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), Encoding.UTF8.GetBytes(associatedData));
        return $"enc:v1:{Base64Url.EncodeToString(nonce)}:{Base64Url.EncodeToString(sealedBytes)}";
    }

    // The transport envelope as admins published it before key ids (same key derivation, no key id part).
    internal static string LegacyTransportSeal(string controlSecret, string appKey, string secret)
    {
        var ikm = Encoding.UTF8.GetBytes(controlSecret);
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: null, info: Encoding.UTF8.GetBytes("gatehouse app-secret transport v1 aes-gcm"));
        return LegacySeal(key, secret, appKey);
    }
}
