using Gatehouse.Gateway.Grpc.Transcoding;

namespace Gatehouse.Gateway.Tests.Grpc.Transcoding;

public sealed class HttpPathTemplateTests
{
    [Theory]
    [InlineData("/v1/{name=shelves/*}", "/v1/shelves/s1", "name=shelves/s1")]
    [InlineData("/v1/{name=shelves/*}/books/{book_id}", "/v1/shelves/s1/books/42", "name=shelves/s1;book_id=42")]
    [InlineData("/v1/{book.name=shelves/*/books/*}", "/v1/shelves/a/books/b", "book.name=shelves/a/books/b")]
    [InlineData("/v1/files/{path=**}", "/v1/files/a/b/c.txt", "path=a/b/c.txt")]
    [InlineData("/v1/{name}:publish", "/v1/x:publish", "name=x")]
    [InlineData("/v1/echo/{id}", "/v1/echo/a%2Fb", "id=a/b")]
    [InlineData("/v1/items", "/v1/items/", "")]
    [InlineData("/v1/*/items", "/v1/any/items", "")]
    public void TryMatch_Matches_BindsVariables(string template, string path, string expected)
    {
        var parsed = HttpPathTemplate.Parse(template);
        Assert.True(parsed.TryMatch(path, out var values));
        var bound = string.Join(';', parsed.Variables.Select((v, i) => $"{v.FieldPath}={values[i]}"));
        Assert.Equal(expected, bound);
    }

    [Theory]
    [InlineData("/v1/{name=shelves/*}", "/v1/shelves")]
    [InlineData("/v1/{name=shelves/*}", "/v1/shelves/a/b")]
    [InlineData("/v1/{name=shelves/*}", "/v1/desks/a")]
    [InlineData("/v1/{name}:publish", "/v1/x")]
    [InlineData("/v1/{name}", "/v1/x:publish")]
    [InlineData("/v1/items", "/v2/items")]
    public void TryMatch_OtherPaths_DoNotMatch(string template, string path)
    {
        var parsed = HttpPathTemplate.Parse(template);
        if (template.EndsWith("{name}", StringComparison.Ordinal) && path.EndsWith(":publish", StringComparison.Ordinal))
        {
            // Without a verb in the template the colon is part of the segment, as in google.api.http.
            Assert.True(parsed.TryMatch(path, out var values));
            Assert.Equal("x:publish", values[0]);
            return;
        }

        Assert.False(parsed.TryMatch(path, out _));
    }

    [Theory]
    [InlineData("v1/x", "must start with '/'")]
    [InlineData("/v1/{name", "without '}'")]
    [InlineData("/v1/{=x}", "has no field path")]
    [InlineData("/v1/**/x", "'**' must be the last segment")]
    [InlineData("/v1//x", "empty segment")]
    [InlineData("/v1/a*b", "is not a literal")]
    public void Parse_BadTemplate_Throws(string template, string message)
    {
        var e = Assert.Throws<FormatException>(() => HttpPathTemplate.Parse(template));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void CompareSpecificity_LiteralsBeforeVariablesBeforeRest()
    {
        var literal = HttpPathTemplate.Parse("/v1/shelves/default");
        var variable = HttpPathTemplate.Parse("/v1/shelves/{id}");
        var rest = HttpPathTemplate.Parse("/v1/{path=**}");
        Assert.True(literal.CompareSpecificity(variable) < 0);
        Assert.True(variable.CompareSpecificity(rest) < 0);
    }
}
