using Gatehouse.Core.Security;

namespace Gatehouse.Core.Tests.Security;

public class AppSecretTransportTests
{
    private const string Secret = "plain-secret-0123456789";

    [Fact]
    public void Seal_IsDeterministic_AndOpensToThePlaintext()
    {
        var transport = new AppSecretTransport("control-secret");
        var sealedOnce = transport.Seal("app-a", Secret);

        Assert.StartsWith("enc:v1:", sealedOnce, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, sealedOnce, StringComparison.Ordinal);
        Assert.Equal(sealedOnce, new AppSecretTransport("control-secret").Seal("app-a", Secret));
        Assert.NotEqual(sealedOnce, transport.Seal("app-a", Secret + "x"));
        Assert.NotEqual(sealedOnce, transport.Seal("app-b", Secret));
        Assert.True(transport.TryOpen("app-a", sealedOnce, out var opened));
        Assert.Equal(Secret, opened);
    }

    [Fact]
    public void TryOpen_OtherControlSecretOtherAppOrTampered_Fails()
    {
        var sealedValue = new AppSecretTransport("control-secret").Seal("app-a", Secret);

        Assert.False(new AppSecretTransport("other-secret").TryOpen("app-a", sealedValue, out _));
        Assert.False(new AppSecretTransport("control-secret").TryOpen("app-b", sealedValue, out _));
        var tampered = sealedValue[..^2] + (sealedValue[^2] == 'A' ? "B" : "A") + sealedValue[^1];
        Assert.False(new AppSecretTransport("control-secret").TryOpen("app-a", tampered, out _));
        Assert.False(new AppSecretTransport("control-secret").TryOpen("app-a", "enc:v1:not-base64!:x", out _));
        Assert.False(new AppSecretTransport("control-secret").TryOpen("app-a", "enc:v1:", out _));
        Assert.False(new AppSecretTransport("control-secret").TryOpen("app-a", Secret, out _));
    }

    [Fact]
    public void Envelope_RandomNonceUnderAKey_RoundTrips()
    {
        var key = new byte[32];
        key[0] = 1;
        var nonce = new byte[SecretEnvelope.NonceBytes];
        var value = SecretEnvelope.Seal(key, nonce, Secret, "g\0app");

        Assert.True(SecretEnvelope.TryOpen(key, value, "g\0app", out var opened));
        Assert.Equal(Secret, opened);
        Assert.False(SecretEnvelope.TryOpen(key, value, "g\0other", out _));
    }
}
