using Gatehouse.Core.Hashing;

namespace Gatehouse.Core.Tests.Hashing;

public class SipHash128Tests
{
    /// <summary>
    /// Reference vectors of SipHash-2-4 with 128-bit output (vectors_sip128 of the reference implementation): key
    /// 00..0f, message of n bytes 00..(n-1). Lengths 0 to 17 cover every tail length with zero, one and two full
    /// blocks; 63 is the longest.
    /// </summary>
    [Theory]
    [InlineData(0, "a3817f04ba25a8e66df67214c7550293")]
    [InlineData(1, "da87c1d86b99af44347659119b22fc45")]
    [InlineData(2, "8177228da4a45dc7fca38bdef60affe4")]
    [InlineData(3, "9c70b60c5267a94e5f33b6b02985ed51")]
    [InlineData(4, "f88164c12d9c8faf7d0f6e7c7bcd5579")]
    [InlineData(5, "1368875980776f8854527a07690e9627")]
    [InlineData(6, "14eeca338b208613485ea0308fd7a15e")]
    [InlineData(7, "a1f1ebbed8dbc153c0b84aa61ff08239")]
    [InlineData(8, "3b62a9ba6258f5610f83e264f31497b4")]
    [InlineData(9, "264499060ad9baabc47f8b02bb6d71ed")]
    [InlineData(10, "00110dc378146956c95447d3f3d0fbba")]
    [InlineData(11, "0151c568386b6677a2b4dc6f81e5dc18")]
    [InlineData(12, "d626b266905ef35882634df68532c125")]
    [InlineData(13, "9869e247e9c08b10d029934fc4b952f7")]
    [InlineData(14, "31fcefac66d7de9c7ec7485fe4494902")]
    [InlineData(15, "5493e99933b0a8117e08ec0f97cfc3d9")]
    [InlineData(16, "6ee2a4ca67b054bbfd3315bf85230577")]
    [InlineData(17, "473d06e8738db89854c066c47ae47740")]
    [InlineData(63, "5150d1772f50834a503e069a973fbd7c")]
    public void Hash_ReferenceVectors(int length, string expected)
    {
        var key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var message = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

        var (low, high) = SipHash128.Hash(key, message);

        var tag = new byte[16];
        BitConverter.TryWriteBytes(tag.AsSpan(0, 8), low);
        BitConverter.TryWriteBytes(tag.AsSpan(8), high);
        Assert.Equal(expected, Convert.ToHexStringLower(tag));
    }

    [Fact]
    public void Hash_KeyOfTheWrongSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => SipHash128.Hash(new byte[32], [1]));
    }
}
