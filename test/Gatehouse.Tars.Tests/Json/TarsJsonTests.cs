using System.Buffers;
using System.Text;
using System.Text.Json;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Json;
using Gatehouse.Tars.Schema;

namespace Gatehouse.Tars.Tests.Json;

public sealed class TarsJsonTests
{
    private static readonly Dictionary<string, TarsStruct> Structs = TarsSchema.BuildStructs(
    [
        new("P", [new(0, "id", "long", true), new(2, "tags", "vector<string>", false), new(30, "q", "Q", false)]),
        new("Q", [new(0, "x", "double", false)]),
    ]);

    private static TarsType Type(string text)
    {
        var type = TarsTypeParser.Parse(text);
        TarsTypeParser.Bind(type, Structs);
        return type;
    }

    private static byte[] Encode(string type, string json)
    {
        using var document = JsonDocument.Parse(json);
        var output = new ArrayBufferWriter<byte>();
        TarsJson.Write(new TarsWriter(output), 0, document.RootElement, Type(type));
        return output.WrittenSpan.ToArray();
    }

    private static string Decode(string type, byte[] bytes)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            var reader = new TarsReader(bytes);
            TarsJson.Read(ref reader, reader.ReadHead().Type, Type(type), json);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData("P", """{"id":1}""", """{"id":1,"tags":[],"q":{"x":0}}""")]
    [InlineData("P", """{"id":"9","tags":null,"q":{"x":0.5}}""", """{"id":9,"tags":[],"q":{"x":0.5}}""")]
    [InlineData("map<int, bool>", """{"-1":true,"2":false}""", """{"-1":true,"2":false}""")]
    [InlineData("vector<byte>", "\"AQID\"", "\"AQID\"")]
    [InlineData("unsigned int", "4294967295", "4294967295")]
    [InlineData("float", "0.1", "0.1")]
    public void WriteThenRead_GivesTheValueWithDefaultsFilledIn(string type, string json, string expected)
        => Assert.Equal(expected, Decode(type, Encode(type, json)));

    [Theory]
    [InlineData("byte", "128", "128 is outside the range of byte")]
    [InlineData("short", "-32769", "outside the range of short")]
    [InlineData("int", "1.5", "a JSON number is not a value of int")]
    [InlineData("bool", "1", "a JSON number is not a value of bool")]
    [InlineData("vector<byte>", "\"not base64!\"", "takes a base64 string")]
    [InlineData("P", """{"id":1,"extra":2}""", "P has no field 'extra'")]
    [InlineData("P", """{"id":1,"tags":"a"}""", "at .tags: a JSON string is not a value of vector<string>")]
    [InlineData("vector<vector<int>>", "[[1],[2,true]]", "at [1][1]: a JSON boolean is not a value of int")]
    [InlineData("vector<P>", """[{"id":1,"q":{"x":"no"}}]""", "at [0].q.x: a JSON string is not a value of double")]
    public void Write_ValueNotFittingTheType_SaysWhereAndWhy(string type, string json, string message)
        => Assert.Contains(message, Assert.Throws<FormatException>(() => Encode(type, json)).Message);

    [Fact]
    public void Read_UnknownTagsSkipped_SoANewerServerStillDecodes()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new TarsWriter(output);
        writer.BeginStruct(0);
        writer.WriteInt64(0, 5);
        writer.WriteString(1, "new field");
        writer.BeginList(7, 1);
        writer.WriteInt32(0, 1);
        writer.WriteString(40, "another");
        writer.EndStruct();

        Assert.Equal("""{"id":5,"tags":[],"q":{"x":0}}""", Decode("P", output.WrittenSpan.ToArray()));
    }

    [Fact]
    public void Read_TypeMismatch_Throws()
        => Assert.Throws<TarsFormatException>(() => Decode("vector<int>", Encode("string", "\"x\"")));
}
