using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Dubbo.Hessian;
using Gatehouse.Gateway.Forwarding.Dubbo;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Forwarding.Dubbo;

public sealed class DubboArgumentBinderTests
{
    private static DubboApiModel Model(string path, string[] types, string[]? names)
    {
        var api = new ApiConfig
        {
            Id = "a",
            Path = path,
            Protocol = ApiProtocol.Dubbo,
            Dubbo = new DubboApiConfig { Interface = "com.X", Method = "m", ParameterTypes = types, ParameterNames = names },
        };
        return DubboApiModel.For(api, ApiPathSyntax.Resolve(MatchKind.Auto, path))!;
    }

    private static object?[] Bind(DubboApiModel model, string? json, string path = "/x", string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        using var document = json is null ? null : JsonDocument.Parse(json);
        return DubboArgumentBinder.Bind(model, document?.RootElement, context.Request, new PathString(path));
    }

    [Fact]
    public void Bind_JsonArray_Positional()
        => Assert.Equal([1, "a"], Bind(Model("/x", ["int", "java.lang.String"], null), "[1, \"a\"]"));

    [Fact]
    public void Bind_JsonArrayWrongLength_FormatException()
    {
        var e = Assert.Throws<FormatException>(() => Bind(Model("/x", ["int", "int"], null), "[1]"));
        Assert.Contains("takes 2 argument(s); the JSON array has 1", e.Message);
    }

    [Fact]
    public void Bind_JsonObjectWithNames_FieldsInParameterOrder()
        => Assert.Equal([2L, "x", null], Bind(Model("/x", ["long", "java.lang.String", "java.lang.Integer"], ["id", "name", "age"]),
            """{"name":"x","id":2}"""));

    [Fact]
    public void Bind_JsonObjectSingleParameterNoNames_WholeObject()
    {
        var args = Bind(Model("/x", ["com.example.Order"], null), """{"id":1,"items":[1,2]}""");
        var order = Assert.IsType<HessianObject>(Assert.Single(args));
        Assert.Equal("com.example.Order", order.ClassName);
        Assert.Equal(1, order.Get("id"));
    }

    [Fact]
    public void Bind_MapParameter_UntypedMap()
        => Assert.Equal("v", Assert.IsType<HessianMap>(Assert.Single(Bind(Model("/x", ["java.util.Map"], null), """{"k":"v"}"""))).Get("k"));

    [Fact]
    public void Bind_NoBody_PathThenQueryValues()
    {
        var model = Model("/users/{id}/orders", ["long", "java.lang.String", "int", "java.lang.Boolean"], ["id", "status", "page", "all"]);
        Assert.Equal([42L, "open", 3, null], Bind(model, null, "/users/42/orders", "?status=open&page=3&id=9"));
    }

    [Fact]
    public void Bind_BodyFieldWinsOverQuery()
        => Assert.Equal([5], Bind(Model("/x", ["int"], ["n"]), """{"n":5}""", "/x", "?n=9"));

    [Fact]
    public void Bind_QueryValueNotANumber_FormatExceptionNamesParameter()
    {
        var e = Assert.Throws<FormatException>(() => Bind(Model("/x", ["int"], ["n"]), null, "/x", "?n=abc"));
        Assert.Contains("argument 'n' (int)", e.Message);
    }

    [Fact]
    public void Bind_MissingPrimitive_FormatException()
        => Assert.Throws<FormatException>(() => Bind(Model("/x", ["int"], ["n"]), null));

    [Fact]
    public void Bind_NoParameters_EmptyWithOrWithoutBody()
    {
        Assert.Empty(Bind(Model("/x", [], null), null));
        Assert.Empty(Bind(Model("/x", [], null), "{}"));
    }

    [Fact]
    public void Model_Descriptor_FromDeclaredTypes()
        => Assert.Equal("Ljava/lang/String;I[J", Model("/x", ["java.lang.String", "int", "long[]"], null).Descriptor);
}
