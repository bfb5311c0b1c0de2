using System.Text;
using System.Text.Json;
using Gatehouse.Dubbo.Hessian;
using Gatehouse.Dubbo.Json;

namespace Gatehouse.Dubbo.Tests.Json;

public sealed class DubboJsonTests
{
    private static object? Arg(string json, string type)
    {
        using var document = JsonDocument.Parse(json);
        return DubboJson.ToArgument(document.RootElement, type);
    }

    [Theory]
    [InlineData("\"abc\"", "java.lang.String", "abc")]
    [InlineData("12", "java.lang.String", "12")]
    [InlineData("12", "int", 12)]
    [InlineData("\"12\"", "java.lang.Integer", 12)]
    [InlineData("12", "long", 12L)]
    [InlineData("1.5", "double", 1.5)]
    [InlineData("true", "boolean", true)]
    [InlineData("null", "java.lang.Integer", null)]
    public void ToArgument_Scalars_JavaValue(string json, string type, object? expected) => Assert.Equal(expected, Arg(json, type));

    [Theory]
    [InlineData("\"x\"", "int")]
    [InlineData("1.5", "int")]
    [InlineData("null", "int")]
    [InlineData("[1]", "com.example.Person")]
    [InlineData("{}", "int[]")]
    public void ToArgument_Mismatch_FormatException(string json, string type) => Assert.Throws<FormatException>(() => Arg(json, type));

    [Fact]
    public void ToArgument_ClassType_ObjectWithJsonFields()
    {
        var value = Assert.IsType<HessianObject>(Arg("""{"name":"Ann","age":30,"tags":["a"],"addr":{"city":"X"}}""", "com.example.Person"));
        Assert.Equal("com.example.Person", value.ClassName);
        Assert.Equal("Ann", value.Get("name"));
        Assert.Equal(30, value.Get("age"));
        Assert.IsType<HessianList>(value.Get("tags"));
        Assert.Equal("X", Assert.IsType<HessianMap>(value.Get("addr")).Get("city"));
    }

    [Fact]
    public void ToArgument_ArraysAndCollections_TypedAndUntypedLists()
    {
        var ints = Assert.IsType<HessianList>(Arg("[1,2]", "int[]"));
        Assert.Equal("[int", ints.Type);
        Assert.Equal([1, 2], ints.Items);
        var strings = Assert.IsType<HessianList>(Arg("[\"a\"]", "java.lang.String[]"));
        Assert.Equal("[string", strings.Type);
        var list = Assert.IsType<HessianList>(Arg("[1,\"a\",null]", "java.util.List"));
        Assert.Null(list.Type);
        Assert.Equal([1, "a", null], list.Items);
        var map = Assert.IsType<HessianMap>(Arg("""{"k":3000000000}""", "java.util.Map"));
        Assert.Equal(3000000000L, map.Get("k"));
    }

    [Fact]
    public void ToArgument_Date_IsoOrEpochMilliseconds()
    {
        var expected = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        Assert.Equal(expected, Arg("\"2024-01-02T03:04:05Z\"", "java.util.Date"));
        Assert.Equal(expected, Arg("1704164645000", "java.util.Date"));
    }

    [Fact]
    public void WriteJson_HessianValues_Json()
    {
        var person = new HessianObject("com.example.Person");
        person.Fields.Add(new("name", "Ann"));
        var map = new HessianMap();
        map.Entries.Add(new("p", person));
        map.Entries.Add(new(7, new HessianList { Items = { 1L, 2.5, null, true } }));
        map.Entries.Add(new("bin", new byte[] { 1, 2 }));
        map.Entries.Add(new("when", new DateTime(2024, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc)));
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            DubboJson.WriteJson(writer, map);
        }

        Assert.Equal("""{"p":{"name":"Ann"},"7":[1,2.5,null,true],"bin":"AQI=","when":"2024-01-02T03:04:05.006Z"}""",
            Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
