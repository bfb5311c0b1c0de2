using System.Buffers;
using Gatehouse.Dubbo.Hessian;

namespace Gatehouse.Dubbo.Tests.Hessian;

public sealed class Hessian2WriterTests
{
    private static string Hex(Action<Hessian2Writer> write)
    {
        var writer = new Hessian2Writer(new ArrayBufferWriter<byte>());
        write(writer);
        return Convert.ToHexString(writer.WrittenMemory.Span).ToLowerInvariant();
    }

    // Byte forms from the hessian2 specification's examples.
    [Theory]
    [InlineData(0, "90")]
    [InlineData(-16, "80")]
    [InlineData(47, "bf")]
    [InlineData(48, "c830")]
    [InlineData(-2048, "c000")]
    [InlineData(2047, "cfff")]
    [InlineData(-262144, "d00000")]
    [InlineData(262143, "d7ffff")]
    [InlineData(262144, "4900040000")]
    [InlineData(int.MinValue, "4980000000")]
    public void WriteInt_SpecExamples_ShortestForm(int value, string hex) => Assert.Equal(hex, Hex(w => w.WriteInt(value)));

    [Theory]
    [InlineData(0L, "e0")]
    [InlineData(-8L, "d8")]
    [InlineData(15L, "ef")]
    [InlineData(-2048L, "f000")]
    [InlineData(2047L, "ffff")]
    [InlineData(-262144L, "380000")]
    [InlineData(262143L, "3fffff")]
    [InlineData(262144L, "5900040000")]
    [InlineData(4294967296L, "4c0000000100000000")]
    public void WriteLong_SpecExamples_ShortestForm(long value, string hex) => Assert.Equal(hex, Hex(w => w.WriteLong(value)));

    [Theory]
    [InlineData(0.0, "5b")]
    [InlineData(1.0, "5c")]
    [InlineData(-128.0, "5d80")]
    [InlineData(127.0, "5d7f")]
    [InlineData(32767.0, "5e7fff")]
    [InlineData(12.25, "444028800000000000")]
    public void WriteDouble_SpecExamples_CompactWhereExact(double value, string hex) => Assert.Equal(hex, Hex(w => w.WriteDouble(value)));

    [Fact]
    public void WriteString_ShortAndMedium_LengthPrefixedInUnits()
    {
        Assert.Equal("00", Hex(w => w.WriteString("")));
        Assert.Equal("0568656c6c6f", Hex(w => w.WriteString("hello")));
        Assert.Equal("01c383", Hex(w => w.WriteString("\u00c3")));
        Assert.StartsWith("3020", Hex(w => w.WriteString(new string('a', 32))));
    }

    [Fact]
    public void WriteString_NonBmp_SurrogatesAsTwoThreeByteUnits()
    {
        // U+1F600 is the pair D83D DE00; Java counts 2 units and writes each as 3 bytes.
        Assert.Equal("02eda0bdedb880", Hex(w => w.WriteString("\U0001F600")));
    }

    [Fact]
    public void WriteString_LongerThanChunk_NonFinalChunksThenFinal()
    {
        var hex = Hex(w => w.WriteString(new string('z', 0x8000 + 5)));
        Assert.StartsWith("528000", hex);
        Assert.Contains("057a7a7a7a7a", hex[^20..]);
    }

    [Fact]
    public void WriteString_ChunkBoundaryInsidePair_PairKeptTogether()
    {
        var value = new string('a', 0x7fff) + "\U0001F600" + "b";
        var writer = new Hessian2Writer();
        writer.WriteString(value);
        // The first chunk stops before the high surrogate: 0x7fff units.
        Assert.Equal(0x52, writer.WrittenMemory.Span[0]);
        Assert.Equal(0x7f, writer.WrittenMemory.Span[1]);
        Assert.Equal(0xff, writer.WrittenMemory.Span[2]);
        var reader = new Hessian2Reader(writer.WrittenMemory.Span);
        Assert.Equal(value, reader.ReadValue());
    }

    [Fact]
    public void WriteObject_SecondInstance_ReusesClassDefinition()
    {
        var a = new HessianObject("com.Car");
        a.Fields.Add(new("color", "red"));
        var b = new HessianObject("com.Car");
        b.Fields.Add(new("color", "blue"));
        var hex = Hex(w =>
        {
            w.WriteObject(a);
            w.WriteObject(b);
        });
        // C "com.Car" 1 "color" / 0x60 "red" / 0x60 "blue" (spec's object example).
        Assert.Equal("4307636f6d2e4361729105636f6c6f7260037265646004626c7565", hex);
    }

    [Fact]
    public void WriteList_SameInstanceTwice_SecondIsReference()
    {
        var inner = new HessianList();
        inner.Items.Add(1);
        var outer = new HessianList();
        outer.Items.Add(inner);
        outer.Items.Add(inner);
        // 0x7a (untyped, 2) / 0x79 1 / Q 1 (the outer list is reference 0).
        Assert.Equal("7a79915191", Hex(w => w.WriteList(outer)));
    }

    [Fact]
    public void WriteMap_TypedMap_TypeOnceThenReference()
    {
        var first = new HessianMap("java.util.HashMap");
        var second = new HessianMap("java.util.HashMap");
        var hex = Hex(w =>
        {
            w.WriteMap(first);
            w.WriteMap(second);
        });
        Assert.Equal("4d116a6176612e7574696c2e486173684d61705a" + "4d905a", hex);
    }
}
