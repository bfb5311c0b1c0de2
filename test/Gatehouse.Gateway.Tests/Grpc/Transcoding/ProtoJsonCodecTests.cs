using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Gateway.Grpc.Transcoding;
using Gatehouse.Tests.Transcode;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Gatehouse.Gateway.Tests.Grpc.Transcoding;

/// <summary>
/// The codec against Google.Protobuf's own JsonFormatter and JsonParser (the reference proto3 JSON mapping, run on the
/// generated classes of the same proto), both ways, plus what the mapping accepts on input and refuses.
/// </summary>
public sealed class ProtoJsonCodecTests
{
    private static readonly MessageDescriptor EverythingType = TranscodeTestDescriptors.Message("transcode.test.v1.Everything");

    private static readonly ProtoJsonCodec Codec = new(name => name == "transcode.test.v1.Nested"
        ? TranscodeTestDescriptors.Message(name)
        : name == "google.protobuf.Duration" ? TranscodeTestDescriptors.Message(name) : null);

    private static readonly JsonFormatter Reference = new(JsonFormatter.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromMessages(Nested.Descriptor, Duration.Descriptor)));

    private static readonly JsonParser ReferenceParser = new(JsonParser.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromMessages(Nested.Descriptor, Duration.Descriptor)));

    internal static Everything Full() => new()
    {
        DoubleValue = 1.5,
        FloatValue = 0.25f,
        Int32Value = -42,
        Int64Value = 9007199254740993, // above 2^53: a JSON number would lose it
        Uint32Value = 4000000000,
        Uint64Value = 18446744073709551615,
        Sint32Value = -7,
        Sint64Value = -9007199254740993,
        Fixed32Value = 7,
        Fixed64Value = 8,
        Sfixed32Value = -9,
        Sfixed64Value = -10,
        BoolValue = true,
        StringValue = "ünïcode \"quoted\"\nline",
        BytesValue = ByteString.CopyFrom(0, 1, 2, 250, 251, 255),
        Genre = Genre.History,
        Nested = new Nested { Label = "n", Weight = 5 },
        NestedList = { new Nested { Label = "a" }, new Nested { Weight = -1 } },
        Numbers = { 1, -2, 300000 },
        Tags = { "x", "y" },
        Counts = { ["one"] = 1, ["big"] = long.MaxValue },
        ById = { [3] = new Nested { Label = "three" }, [-4] = new Nested() },
        ChoiceNested = new Nested { Label = "chosen" },
        At = Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 5, 1, 12, 30, 15, 123, TimeSpan.Zero)),
        Took = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(-1500)),
        MaybeInt = 0,
        MaybeText = "wrapped",
        MaybeLong = 12345678901234,
        MaybeBool = false,
        Attributes = new Struct { Fields = { ["n"] = Value.ForNumber(2.5), ["s"] = Value.ForString("t"), ["z"] = Value.ForNull(),
            ["l"] = Value.ForList(Value.ForBool(true), Value.ForNumber(1)), ["o"] = Value.ForStruct(new Struct { Fields = { ["k"] = Value.ForString("v") } }) } },
        Anything = Value.ForList(Value.ForString("a"), Value.ForNull()),
        List = new ListValue { Values = { Value.ForNumber(1), Value.ForString("two") } },
        Mask = new FieldMask { Paths = { "int64_value", "nested.label" } },
        Extra = Any.Pack(new Nested { Label = "packed", Weight = 1 }),
        OptionalInt = 0,
        Genres = { Genre.Fiction, (Genre)99 },
        Nothing = new Empty(),
        Flags = { [true] = "yes", [false] = "no" },
        Doubles = { double.NaN, double.PositiveInfinity, -0.5 },
    };

    [Fact]
    public void Decode_EveryFieldKind_MatchesTheReferenceFormatter()
    {
        var message = Full();
        var ours = Decode(message.ToByteArray());
        var reference = JsonNode.Parse(Reference.Format(message));
        Assert.True(JsonNode.DeepEquals(reference, ours), $"ours:      {ours}\nreference: {reference}");
    }

    [Fact]
    public void Encode_TheReferenceJson_ParsesToTheSameMessage()
    {
        var message = Full();
        var bytes = Codec.Encode(EverythingType, JsonNode.Parse(Reference.Format(message)));
        Assert.Equal(message, Everything.Parser.ParseFrom(bytes));
    }

    [Fact]
    public void Decode_DefaultValues_AreLeftOut_ExceptPresenceFields()
    {
        Assert.Equal("{}", Decode(new Everything().ToByteArray()).ToJsonString());
        var zeros = new Everything { ChoiceNumber = 0, OptionalInt = 0, MaybeInt = 0, Nested = new Nested() };
        var json = Decode(zeros.ToByteArray());
        Assert.Equal("""{"nested":{},"choiceNumber":0,"maybeInt":0,"optionalInt":0}""", json.ToJsonString());
    }

    [Fact]
    public void Decode_64BitIntegersAreStrings_EnumsNames_UnknownEnumNumbers()
    {
        var json = Decode(new Everything { Int64Value = 5, Uint64Value = 6, Genre = Genre.Fiction, Genres = { (Genre)7 } }.ToByteArray());
        Assert.Equal("""{"int64Value":"5","uint64Value":"6","genre":"FICTION","genres":[7]}""", json.ToJsonString());
    }

    [Theory]
    [InlineData("""{"int64Value":123}""", "int64Value", "123")]                      // a number for a 64-bit integer
    [InlineData("""{"int32_value":"17"}""", "int32Value", "17")]                   // original name, integer as a string
    [InlineData("""{"genre":2}""", "genre", "HISTORY")]                            // enum by number
    [InlineData("""{"bytesValue":"AAH6-_8"}""", "bytesValue", "AAH6+/8=")]          // URL-safe base64 without padding
    [InlineData("""{"at":"2024-05-01T14:30:15.5+02:00"}""", "at", "2024-05-01T12:30:15.500Z")]
    [InlineData("""{"took":"3s"}""", "took", "3s")]
    [InlineData("""{"took":"-0.000000001s"}""", "took", "-0.000000001s")]
    [InlineData("""{"int32Value":1e2}""", "int32Value", "100")]
    [InlineData("""{"doubleValue":"Infinity"}""", "doubleValue", "Infinity")]
    [InlineData("""{"maybeLong":"77"}""", "maybeLong", "77")]
    [InlineData("""{"mask":"int64Value,nested.label"}""", "mask", "int64Value,nested.label")]
    public void Encode_AcceptedInputForms_RoundTrip(string input, string field, string expected)
    {
        var json = Decode(Codec.Encode(EverythingType, JsonNode.Parse(input)));
        var value = json[field]!;
        Assert.Equal(expected, value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString());
    }

    [Fact]
    public void Encode_NullFields_AreNotSet_ButValueTakesNull()
    {
        var bytes = Codec.Encode(EverythingType, JsonNode.Parse("""{"nested":null,"int32Value":null,"anything":null,"tags":null}"""));
        var message = Everything.Parser.ParseFrom(bytes);
        Assert.Null(message.Nested);
        Assert.Equal(Value.KindOneofCase.NullValue, message.Anything.KindCase);
        Assert.Empty(message.Tags);
    }

    [Theory]
    [InlineData("""{"nope":1}""", "has no field 'nope'")]
    [InlineData("""{"choiceText":"a","choiceNumber":1}""", "oneof 'choice'")]
    [InlineData("""{"genre":"POETRY"}""", "'POETRY' is not a value of enum")]
    [InlineData("""{"int32Value":"abc"}""", "int32Value: 'abc' is not an integer")]
    [InlineData("""{"int32Value":3000000000}""", "out of range")]
    [InlineData("""{"int32Value":1.5}""", "is not an integer")]
    [InlineData("""{"nested":{"weight":true}}""", "nested.weight: expected an integer, found true")]
    [InlineData("""{"tags":"x"}""", "tags: expected an array")]
    [InlineData("""{"at":"yesterday"}""", "not an RFC 3339 timestamp")]
    [InlineData("""{"took":"5"}""", "not a duration")]
    [InlineData("""{"boolValue":"true"}""", "expected true or false")]
    [InlineData("""[1]""", "expected an object")]
    public void Encode_InvalidInput_FailsNamingTheField(string input, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Codec.Encode(EverythingType, JsonNode.Parse(input)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Encode_ReferenceParser_AgreesOnLenientInput()
    {
        const string input = """{"int64_value":"12","genre":1,"counts":{"a":"3"},"byId":{"7":{"label":"seven"}},"at":"1970-01-01T00:00:01Z"}""";
        var ours = Everything.Parser.ParseFrom(Codec.Encode(EverythingType, JsonNode.Parse(input)));
        Assert.Equal(ReferenceParser.Parse<Everything>(input), ours);
    }

    [Fact]
    public void Decode_RepeatedMessageField_IsMerged_AndLastScalarWins()
    {
        // Two occurrences of `nested` (field 17) and of `int32Value` (field 3): the reference parser merges and overwrites.
        var first = new Everything { Nested = new Nested { Label = "a" }, Int32Value = 1 }.ToByteArray();
        var second = new Everything { Nested = new Nested { Weight = 2 }, Int32Value = 3 }.ToByteArray();
        var both = first.Concat(second).ToArray();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Reference.Format(Everything.Parser.ParseFrom(both))), Decode(both)));
    }

    [Fact]
    public void Decode_TruncatedMessage_Throws()
    {
        var bytes = Full().ToByteArray();
        Assert.Throws<FormatException>(() => Decode(bytes.AsSpan(0, bytes.Length - 3).ToArray()));
    }

    private static JsonNode Decode(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Codec.Decode(EverythingType, bytes, writer);
        }

        return JsonNode.Parse(Encoding.UTF8.GetString(buffer.ToArray()))!;
    }
}
