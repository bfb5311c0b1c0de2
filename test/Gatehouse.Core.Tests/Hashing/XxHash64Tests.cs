using System.Text;
using Gatehouse.Core.Hashing;

namespace Gatehouse.Core.Tests.Hashing;

public sealed class XxHash64Tests
{
    // The seed the reference implementation's own sanity check uses (PRIME32_1).
    private const ulong SanitySeed = 2654435761UL;

    // Vectors published with the reference implementation and reproduced in the .NET runtime's
    // System.IO.Hashing tests; lengths 0 to 189 cover the short path, the 8/4/1-byte tail steps and the
    // 32-byte four-lane stripe loop (40, 41, 44, 96, 99, 189 bytes).
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    [InlineData("123456", 0x2B2DC38AAA53C322UL)]
    [InlineData("Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1UL)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x0B242D361FDA71BCUL)]
    [InlineData("The quick brown fox jumps over the lazy dog.", 0x44AD33705751AD73UL)]
    [InlineData(".NET now has non-crypto hashing", 0xD8444D7806DFDE0EUL)]
    [InlineData("1234567890123456789012345678901234567890", 0x5F3AF5E23EEB431DUL)]
    [InlineData("12345678901234567890123456789012345678901", 0x45A03ED59AB5CAD6UL)]
    [InlineData("12345678901234567890123456789012345678901234", 0xCA5C1B5B9061279FUL)]
    [InlineData("This string has 32 ASCII bytes..This string has 32 ASCII bytes..This string has 32 ASCII bytes..",
        0x975E3E6FE7E67FBCUL)]
    [InlineData("This string has 33 ASCII bytes...This string has 33 ASCII bytes...This string has 33 ASCII bytes...",
        0x488DF4E623587E10UL)]
    [InlineData("A sixty-three byte test input requires substantial forethought!"
        + "A sixty-three byte test input requires substantial forethought!"
        + "A sixty-three byte test input requires substantial forethought!", 0x239C7B3A85BD22B3UL)]
    public void Hash_PublishedVector_Matches(string ascii, ulong expected)
    {
        Assert.Equal(expected, XxHash64.Hash(Encoding.ASCII.GetBytes(ascii)));
    }

    // The reference implementation's sanity check: a 101-byte generated buffer hashed over prefixes of
    // 0, 1, 14 and 101 bytes, with seed 0 and with a non-zero seed.
    [Theory]
    [InlineData(0, 0UL, 0xEF46DB3751D8E999UL)]
    [InlineData(0, SanitySeed, 0xAC75FDA2929B17EFUL)]
    [InlineData(1, 0UL, 0x4FCE394CC88952D8UL)]
    [InlineData(1, SanitySeed, 0x739840CB819FA723UL)]
    [InlineData(14, 0UL, 0xCFFA8DB881BC3A3DUL)]
    [InlineData(14, SanitySeed, 0x5B9611585EFCC9CBUL)]
    [InlineData(101, 0UL, 0x0EAB543384F878ADUL)]
    [InlineData(101, SanitySeed, 0xCAA65939306F1E21UL)]
    public void Hash_ReferenceSanityBuffer_Matches(int length, ulong seed, ulong expected)
    {
        Assert.Equal(expected, XxHash64.Hash(SanityBuffer().AsSpan(0, length), seed));
    }

    // Values the gateway has stored in its rings and buckets since its first release (virtual-node names, a
    // header key, a path, a client address, a seeded canary key): a change of implementation must not move them.
    [Theory]
    [InlineData("orders-1#0", 0x7D8D41542BD29B48UL)]
    [InlineData("orders-1#159", 0x6CCF281609D55A8FUL)]
    [InlineData("10.0.0.7:8080#42", 0xD50A78D643224CEAUL)]
    [InlineData("node-b#7", 0xD6EA64E0799E3D4BUL)]
    [InlineData("alice", 0x73A3EA485F2E6049UL)]
    [InlineData("/orders/42", 0x5403B7674214629DUL)]
    public void HashUtf8_RecordedGatewayKeys_Unchanged(string key, ulong expected)
    {
        Assert.Equal(expected, XxHash64.HashUtf8(key));
    }

    [Fact]
    public void Hash_RecordedAddressAndSeededKey_Unchanged()
    {
        Assert.Equal(0xAC6F87915D156827UL, XxHash64.Hash([203, 0, 113, 7]));
        Assert.Equal(0xF92139BB9BF66059UL, XxHash64.HashUtf8("user-17", 0x5EED));
    }

    [Fact]
    public void Hash_DifferentSeed_ChangesResult()
    {
        var data = "Nobody inspects the spammish repetition"u8;

        Assert.NotEqual(XxHash64.Hash(data), XxHash64.Hash(data, 1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("node-1#0")]
    [InlineData("Grüße aus Köln")]
    [InlineData("日本語のキー/路径")]
    [InlineData("emoji 😀 and more 🎉")]
    public void HashUtf8_Text_EqualsHashOfUtf8Bytes(string text)
    {
        Assert.Equal(XxHash64.Hash(Encoding.UTF8.GetBytes(text)), XxHash64.HashUtf8(text));
        Assert.Equal(XxHash64.Hash(Encoding.UTF8.GetBytes(text), 42), XxHash64.HashUtf8(text, 42));
    }

    // Built at run time: attribute strings are stored as UTF-8 in metadata, which cannot hold a lone surrogate.
    [Fact]
    public void HashUtf8_UnpairedSurrogate_EncodedAsReplacementLikeEncodingUtf8()
    {
        var text = "unpaired " + '\ud800' + " surrogate";

        Assert.Equal(XxHash64.Hash(Encoding.UTF8.GetBytes(text)), XxHash64.HashUtf8(text));
        Assert.Equal(XxHash64.HashUtf8("unpaired \ufffd surrogate"), XxHash64.HashUtf8(text));
    }

    // Lengths around the stack/pool boundary (170 chars of up to 3 bytes each fit 512 bytes) and far above it.
    [Theory]
    [InlineData(170, 'a')]
    [InlineData(171, 'a')]
    [InlineData(170, '€')]
    [InlineData(171, '€')]
    [InlineData(5000, 'ß')]
    public void HashUtf8_LongText_EqualsHashOfUtf8Bytes(int length, char c)
    {
        var text = new string(c, length);

        Assert.Equal(XxHash64.Hash(Encoding.UTF8.GetBytes(text)), XxHash64.HashUtf8(text));
    }

    [Fact]
    public void HashUtf8_ShortAndLongText_DoesNotAllocate()
    {
        var shortText = "user-12345";
        var longText = new string('x', 4000);
        XxHash64.HashUtf8(shortText);
        XxHash64.HashUtf8(longText);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            XxHash64.HashUtf8(shortText);
            XxHash64.HashUtf8(longText);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static byte[] SanityBuffer()
    {
        var buffer = new byte[101];
        var byteGen = (uint)SanitySeed;
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)(byteGen >> 24);
            byteGen *= byteGen;
        }

        return buffer;
    }
}
