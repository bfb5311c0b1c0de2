using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Security;

namespace Gatehouse.Core.Tests.Security;

public class PayloadEnvelopeTests
{
    // The worked example of docs/encryption.md; the expected bytes were computed with an independent AES-GCM and HKDF
    // implementation (Python's `cryptography`), so this test checks the format, not just a round trip.
    private const string Secret = "secret-of-billing-app-0123";
    private const string ExampleKeyHex = "99dad9260bfc99fbb4765a38f5fd8d02ad34a8d55235cba514937edbb2a7b112";
    private const string ExampleRequestHex =
        "01000102030405060708090a0b07f3d89ac1809e1f83d7317aceffa6afd9a69eff808ec78aacbff7d72fec1074946bb128070d63cddd97b07332";
    private const string ExampleResponseHex =
        "016465666768696a6b6c6d6e6fb39bc41c5b73ece850f81c67a003b8a1b8fc8cd9d17e56e14d1de5f4c3dc238f26a3305546bed4a229b6";

    private static readonly byte[] RequestNonce = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    private static readonly byte[] ResponseNonce = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111];

    private static AesGcm Cipher() => new(PayloadEnvelope.DeriveKey(Secret), PayloadEnvelope.TagSize);

    private static byte[] RequestAad() => PayloadEnvelope.RequestAad("billing-app", "post", "/orders", "a=1&b=2");

    private static byte[] SealExample()
    {
        var body = Encoding.UTF8.GetBytes("{\"item\":42}");
        var envelope = new byte[PayloadEnvelope.SealedLength("application/json".Length, body.Length)];
        using var aes = Cipher();
        PayloadEnvelope.Seal(aes, RequestNonce, "application/json", body, RequestAad(), envelope);
        return envelope;
    }

    [Fact]
    public void DeriveKey_IsHkdfSha256WithTheDocumentedInfo() =>
        Assert.Equal(ExampleKeyHex, Convert.ToHexStringLower(PayloadEnvelope.DeriveKey(Secret)));

    [Fact]
    public void Aad_HasTheDocumentedLines()
    {
        Assert.Equal("GATEHOUSE-AES256GCM-V1\nrequest\nbilling-app\nPOST\n/orders\na=1&b=2", Encoding.UTF8.GetString(RequestAad()));
        Assert.Equal("GATEHOUSE-AES256GCM-V1\nresponse\nbilling-app\nPOST\n/orders\na=1&b=2\n201\n000102030405060708090a0b",
            Encoding.UTF8.GetString(PayloadEnvelope.ResponseAad("billing-app", "POST", "/orders", "a=1&b=2", 201, RequestNonce)));
        Assert.EndsWith("\n200\n", Encoding.UTF8.GetString(PayloadEnvelope.ResponseAad("a", "GET", "/", "", 200, [])));
    }

    [Fact]
    public void Seal_WorkedExample_MatchesTheDocumentedBytes()
    {
        var envelope = SealExample();

        Assert.Equal(ExampleRequestHex, Convert.ToHexStringLower(envelope));
        Assert.Equal(58, envelope.Length);
    }

    [Fact]
    public void Open_WorkedExampleResponse_YieldsTypeAndBody()
    {
        var envelope = Convert.FromHexString(ExampleResponseHex);
        var aad = PayloadEnvelope.ResponseAad("billing-app", "POST", "/orders", "a=1&b=2", 201, RequestNonce);
        using var aes = Cipher();

        var result = PayloadEnvelope.Open(aes, envelope, aad, out var contentType, out var body);

        Assert.Equal(OpenResult.Ok, result);
        Assert.Equal("application/json", contentType);
        Assert.Equal("{\"id\":7}", Encoding.UTF8.GetString(envelope[body]));
        Assert.Equal(ResponseNonce, PayloadEnvelope.NonceOf(Convert.FromHexString(ExampleResponseHex)).ToArray());
    }

    [Fact]
    public void Docs_WorkedExample_QuotesTheseBytes()
    {
        var doc = File.ReadAllText(Path.Combine(Config.ConfigFixtures.RepositoryRoot(), "docs", "encryption.md"));
        // The request envelope is printed over three lines with spaces between its fields.
        var joined = string.Concat(doc.Split('\n').Select(line => line.Replace(" ", "", StringComparison.Ordinal).Trim()));

        Assert.Contains(ExampleKeyHex, doc, StringComparison.Ordinal);
        Assert.Contains(ExampleResponseHex, doc, StringComparison.Ordinal);
        Assert.Contains(ExampleRequestHex, joined, StringComparison.Ordinal);
    }

    [Fact]
    public void SealThenOpen_RoundTrip_InPlace()
    {
        var envelope = SealExample();
        using var aes = Cipher();

        var result = PayloadEnvelope.Open(aes, envelope, RequestAad(), out var contentType, out var body);

        Assert.Equal(OpenResult.Ok, result);
        Assert.Equal("application/json", contentType);
        Assert.Equal("{\"item\":42}", Encoding.UTF8.GetString(envelope[body]));
    }

    [Fact]
    public void SealThenOpen_NoContentTypeAndEmptyBody()
    {
        var envelope = new byte[PayloadEnvelope.SealedLength(0, 0)];
        using var aes = Cipher();
        PayloadEnvelope.Seal(aes, RequestNonce, null, [], RequestAad(), envelope);

        var result = PayloadEnvelope.Open(aes, envelope, RequestAad(), out var contentType, out var body);

        Assert.Equal(OpenResult.Ok, result);
        Assert.Null(contentType);
        Assert.Equal(0, body.GetOffsetAndLength(envelope.Length).Length);
        Assert.Equal(PayloadEnvelope.Overhead + 2, envelope.Length);
    }

    [Theory]
    [InlineData(0)]   // version
    [InlineData(5)]   // nonce
    [InlineData(20)]  // ciphertext
    [InlineData(57)]  // tag
    public void Open_AnyByteFlipped_Refused(int index)
    {
        var envelope = SealExample();
        envelope[index] ^= 0x01;
        using var aes = Cipher();

        var result = PayloadEnvelope.Open(aes, envelope, RequestAad(), out var contentType, out _);

        Assert.Equal(index == 0 ? OpenResult.UnknownVersion : OpenResult.TagMismatch, result);
        Assert.Null(contentType);
    }

    [Fact]
    public void Open_TagMismatch_LeavesNoPlaintext()
    {
        var envelope = SealExample();
        envelope[^1] ^= 0x80;
        using var aes = Cipher();

        PayloadEnvelope.Open(aes, envelope, RequestAad(), out _, out _);

        Assert.DoesNotContain("item", Encoding.Latin1.GetString(envelope), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other-app", "POST", "/orders", "a=1&b=2")]
    [InlineData("billing-app", "PUT", "/orders", "a=1&b=2")]
    [InlineData("billing-app", "POST", "/refunds", "a=1&b=2")]
    [InlineData("billing-app", "POST", "/orders", "a=1&b=3")]
    public void Open_OtherAppMethodPathOrQuery_Refused(string appKey, string method, string path, string query)
    {
        var envelope = SealExample();
        using var aes = Cipher();

        var result = PayloadEnvelope.Open(aes, envelope, PayloadEnvelope.RequestAad(appKey, method, path, query), out _, out _);

        Assert.Equal(OpenResult.TagMismatch, result);
    }

    [Fact]
    public void Open_OtherKey_Refused()
    {
        var envelope = SealExample();
        using var other = new AesGcm(PayloadEnvelope.DeriveKey("another-secret-0123456789"), PayloadEnvelope.TagSize);

        Assert.Equal(OpenResult.TagMismatch, PayloadEnvelope.Open(other, envelope, RequestAad(), out _, out _));
    }

    [Fact]
    public void Open_ResponseEnvelopeOfAnotherRequestOrStatus_Refused()
    {
        var envelope = Convert.FromHexString(ExampleResponseHex);
        using var aes = Cipher();

        var otherNonce = PayloadEnvelope.ResponseAad("billing-app", "POST", "/orders", "a=1&b=2", 201, new byte[12]);
        var otherStatus = PayloadEnvelope.ResponseAad("billing-app", "POST", "/orders", "a=1&b=2", 200, RequestNonce);

        Assert.Equal(OpenResult.TagMismatch, PayloadEnvelope.Open(aes, envelope.ToArray(), otherNonce, out _, out _));
        Assert.Equal(OpenResult.TagMismatch, PayloadEnvelope.Open(aes, envelope.ToArray(), otherStatus, out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    public void Open_TooShort_Truncated(int length)
    {
        using var aes = Cipher();

        Assert.Equal(OpenResult.Truncated, PayloadEnvelope.Open(aes, new byte[length], RequestAad(), out _, out _));
    }

    [Fact]
    public void Open_AuthenticFramingPastTheEnd_BadFraming()
    {
        // A sender with the key can still frame badly: a content-type length larger than what follows.
        using var aes = Cipher();
        byte[] framed = [0x01, 0x00, (byte)'a'];
        var envelope = new byte[PayloadEnvelope.Overhead + framed.Length];
        envelope[0] = PayloadEnvelope.Version;
        RequestNonce.CopyTo(envelope, 1);
        aes.Encrypt(RequestNonce, framed, envelope.AsSpan(PayloadEnvelope.HeaderSize, framed.Length), envelope.AsSpan(^PayloadEnvelope.TagSize), RequestAad());

        Assert.Equal(OpenResult.BadFraming, PayloadEnvelope.Open(aes, envelope, RequestAad(), out var contentType, out _));
        Assert.Null(contentType);
    }

    [Theory]
    [InlineData("application/gatehouse-encrypted", true)]
    [InlineData("Application/Gatehouse-Encrypted; charset=binary", true)]
    [InlineData(" application/gatehouse-encrypted ", true)]
    [InlineData("application/json", false)]
    [InlineData("application/gatehouse-encrypted-x", false)]
    [InlineData(null, false)]
    public void IsEnvelopeContentType_IgnoresParametersAndCase(string? value, bool expected) =>
        Assert.Equal(expected, PayloadEnvelope.IsEnvelopeContentType(value));

    [Fact]
    public void Seal_NonAsciiContentType_Refused()
    {
        using var aes = Cipher();

        Assert.Throws<ArgumentException>(() =>
            PayloadEnvelope.Seal(aes, RequestNonce, "text/plain; x=\u00e9", [], RequestAad(), new byte[100]));
    }
}
