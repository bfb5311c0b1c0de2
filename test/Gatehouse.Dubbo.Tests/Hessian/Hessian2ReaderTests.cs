using Gatehouse.Dubbo.Hessian;

namespace Gatehouse.Dubbo.Tests.Hessian;

public sealed class Hessian2ReaderTests
{
    private static object? Read(string hex)
    {
        var reader = new Hessian2Reader(Convert.FromHexString(hex));
        var value = reader.ReadValue();
        Assert.True(reader.End, "value should consume all input");
        return value;
    }

    public static TheoryData<object?> RoundTripValues => new()
    {
        null, true, false, 0, -16, 47, 48, -2048, 2047, -262144, 262143, int.MaxValue, int.MinValue,
        0L, -8L, 15L, 16L, -262145L, int.MaxValue + 1L, long.MinValue, long.MaxValue,
        0.0, 1.0, -1.0, 12.25, -32768.0, 0.1, double.MaxValue, double.NaN,
        "", "a", new string('b', 31), new string('c', 32), new string('d', 1023), new string('e', 1024),
        new string('f', 70000), "héllo 中文 \U0001F600\U0001D11E",
    };

    [Theory]
    [MemberData(nameof(RoundTripValues))]
    public void ReadValue_WhatTheWriterWrote_SameValueAndType(object? value)
    {
        var writer = new Hessian2Writer();
        writer.WriteValue(value);
        var reader = new Hessian2Reader(writer.WrittenMemory.Span);
        var read = reader.ReadValue();
        Assert.Equal(value, read);
        Assert.Equal(value?.GetType(), read?.GetType());
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(70000)]
    public void ReadValue_Binary_RoundTrips(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        var writer = new Hessian2Writer();
        writer.WriteBinary(bytes);
        Assert.Equal(bytes, new Hessian2Reader(writer.WrittenMemory.Span).ReadValue());
    }

    [Fact]
    public void ReadValue_Dates_MillisecondsAndMinutes()
    {
        // Spec examples: 0x4a 00 00 00 d0 4b 92 84 b8 = 09:51:31 May 8, 1998 UTC; 0x4b form in minutes.
        Assert.Equal(new DateTime(1998, 5, 8, 9, 51, 31, DateTimeKind.Utc), Read("4a000000d04b9284b8"));
        Assert.Equal(new DateTime(1998, 5, 8, 9, 51, 0, DateTimeKind.Utc), Read("4b00e3838f"));
        var date = new DateTime(2024, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
        var writer = new Hessian2Writer();
        writer.WriteDate(date);
        Assert.Equal(date, new Hessian2Reader(writer.WrittenMemory.Span).ReadValue());
    }

    [Fact]
    public void ReadValue_DoubleAsThousandths_CauchoMeaning() => Assert.Equal(3.25, (double)Read("5f00000cb2")!, 9);

    [Fact]
    public void ReadValue_FourByteUtf8_CountsAsTwoUnits()
    {
        // Length 3 units: 'a' + U+1F600 (written as standard UTF-8) .
        Assert.Equal("a\U0001F600", Read("0361f09f9880"));
    }

    [Fact]
    public void ReadValue_ObjectsWithDefinitionsAndReferences_Resolved()
    {
        var person = new HessianObject("com.example.Person");
        person.Fields.Add(new("name", "Ann"));
        var tags = new HessianList("[string");
        tags.Items.Add("x");
        person.Fields.Add(new("tags", tags));
        var map = new HessianMap();
        map.Entries.Add(new("owner", person));
        map.Entries.Add(new("again", person));
        map.Entries.Add(new(1, tags));
        var writer = new Hessian2Writer();
        writer.WriteValue(map);

        var read = Assert.IsType<HessianMap>(new Hessian2Reader(writer.WrittenMemory.Span).ReadValue());
        var owner = Assert.IsType<HessianObject>(read.Get("owner"));
        Assert.Equal("com.example.Person", owner.ClassName);
        Assert.Equal("Ann", owner.Get("name"));
        Assert.Same(owner, read.Get("again"));
        var readTags = Assert.IsType<HessianList>(owner.Get("tags"));
        Assert.Equal("[string", readTags.Type);
        Assert.Same(readTags, read.Entries[2].Value);
        Assert.Equal(1, read.Entries[2].Key);
    }

    [Fact]
    public void ReadValue_VariableLengthLists_UntilZ()
    {
        var list = Assert.IsType<HessianList>(Read("57" + "91" + "92" + "5a"));
        Assert.Equal([1, 2], list.Items);
        var typed = Assert.IsType<HessianList>(Read("55" + "04" + "5b696e74" + "91" + "5a"));
        Assert.Equal("[int", typed.Type);
    }

    [Fact]
    public void ReadValue_CyclicList_ReferenceToItself()
    {
        // X (fixed, untyped) length 1, element: Q 0 (the list itself).
        var list = Assert.IsType<HessianList>(Read("58915190"));
        Assert.Same(list, list.Items[0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("49000000")]
    [InlineData("05616263")]
    [InlineData("5192")]
    [InlineData("6190")]
    [InlineData("48")]
    [InlineData("40")]
    [InlineData("58ffffff7f")]
    public void ReadValue_Malformed_HessianFormatException(string hex)
        => Assert.Throws<HessianFormatException>(() => Read(hex));
}
