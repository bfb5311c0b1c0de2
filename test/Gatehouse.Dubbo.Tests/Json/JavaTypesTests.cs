using Gatehouse.Dubbo.Json;

namespace Gatehouse.Dubbo.Tests.Json;

public sealed class JavaTypesTests
{
    [Theory]
    [InlineData("int", "I")]
    [InlineData("long", "J")]
    [InlineData("boolean", "Z")]
    [InlineData("java.lang.String", "Ljava/lang/String;")]
    [InlineData("int[]", "[I")]
    [InlineData("java.lang.String[][]", "[[Ljava/lang/String;")]
    public void Descriptor_JavaType_JvmDescriptor(string type, string descriptor) => Assert.Equal(descriptor, JavaTypes.Descriptor(type));

    [Fact]
    public void Descriptor_ParameterList_Concatenated()
        => Assert.Equal("Ljava/lang/String;ILjava/util/Map;", JavaTypes.Descriptor(["java.lang.String", "int", "java.util.Map"]));

    [Theory]
    [InlineData("java.lang.String", true)]
    [InlineData("com.example.Outer$Inner[]", true)]
    [InlineData("", false)]
    [InlineData("[]", false)]
    [InlineData("java..String", false)]
    [InlineData("java.lang.String;", false)]
    [InlineData("1abc", false)]
    public void Check_Names_ValidOrReason(string type, bool valid) => Assert.Equal(valid, JavaTypes.Check(type) is null);
}
