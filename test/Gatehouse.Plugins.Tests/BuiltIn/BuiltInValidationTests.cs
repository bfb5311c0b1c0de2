using System.Text.Json;

namespace Gatehouse.Plugins.Tests.BuiltIn;

/// <summary>The built-in factories' settings checks: every problem, each on its field.</summary>
public class BuiltInValidationTests
{
    private static IReadOnlyList<PluginSettingError> Validate(string plugin, string? settings)
    {
        Assert.True(PluginCatalog.BuiltIn.TryGet(plugin, out var factory));
        return factory.Validate(settings is null ? default : JsonDocument.Parse(settings).RootElement);
    }

    [Theory]
    [InlineData("cors", """{"origins":["https://a.example","http://b.example:8080"],"methods":["*"],"headers":["*"],"credentials":true}""")]
    [InlineData("cors", """{"origins":["*"],"maxAgeSeconds":0}""")]
    [InlineData("headers", """{"request":{"remove":["X-A"]},"response":{"add":{"X-B":"1"}}}""")]
    [InlineData("headers", """{}""")]
    [InlineData("mock", null)]
    [InlineData("mock", """{"status":204,"headers":{"X-A":"b"}}""")]
    [InlineData("mock", """{"json":[1,2]}""")]
    [InlineData("cache", null)]
    [InlineData("aggregate", """{"calls":{"a":{"path":"/x?id=${query.id}","headers":{"serviceName":"s"},"timeoutMs":200}},"onError":"fail","forwardHeaders":[]}""")]
    [InlineData("cache", """{"zone":"api_v1","maxBytes":1048576,"maxEntryBytes":65536,"ttlSeconds":5,"statuses":[200,404],"lockTimeoutMs":0}""")]
    public void Validate_Good_NoErrors(string plugin, string? settings) => Assert.Empty(Validate(plugin, settings));

    [Theory]
    [InlineData("cors", null, "", "found nothing")]
    [InlineData("cors", """{"credentials":false}""", "origins", "list the allowed origins")]
    [InlineData("cors", """{"origins":[]}""", "origins", "list the allowed origins")]
    [InlineData("cors", """{"origins":["https://a.example/"]}""", "origins[0]", "is not an origin")]
    [InlineData("cors", """{"origins":["ftp://a.example"]}""", "origins[0]", "is not an origin")]
    [InlineData("cors", """{"origins":["*"],"credentials":true}""", "credentials", "cannot be allowed for any origin")]
    [InlineData("cors", """{"origins":["*"],"methods":["GE T"]}""", "methods[0]", "not a valid method")]
    [InlineData("cors", """{"origins":["*"],"maxAgeSeconds":86401}""", "maxAgeSeconds", "from 0 to 86400")]
    [InlineData("cors", """{"origins":"*"}""", "origins", "expected a list of strings")]
    [InlineData("headers", """{"request":{"set":{"Host":"x"}}}""", "request.set[Host]", "cannot be changed by a filter")]
    [InlineData("headers", """{"response":{"remove":["Transfer-Encoding"]}}""", "response.remove[0]", "cannot be changed by a filter")]
    [InlineData("headers", """{"response":{"set":{"X-A":{"b":1}}}}""", "response.set[X-A]", "expected a string")]
    [InlineData("headers", """{"both":{}}""", "both", "unknown key 'both'")]
    [InlineData("headers", """[]""", "", "expected a mapping")]
    [InlineData("mock", """{"status":"200"}""", "status", "expected a whole number")]
    [InlineData("mock", """{"status":204,"body":"x"}""", "status", "has no body")]
    [InlineData("mock", """{"headers":{"Content-Length":"5"}}""", "headers[Content-Length]", "set by the gateway")]
    [InlineData("cache", """{"maxBytes":2048,"maxEntryBytes":4096}""", "maxEntryBytes", "must not exceed maxBytes")]
    [InlineData("cache", """{"ttlSeconds":0}""", "ttlSeconds", "from 1 to 31536000")]
    [InlineData("cache", """{"ttlSeconds":100,"maxTtlSeconds":10}""", "ttlSeconds", "must not exceed maxTtlSeconds")]
    [InlineData("cache", """{"statuses":[200,304]}""", "statuses[1]", "other than 206 and 304")]
    [InlineData("cache", """{"statuses":[]}""", "statuses", "non-empty list")]
    [InlineData("cache", """{"zone":"a b"}""", "zone", "1 to 64 letters")]
    [InlineData("cache", """{"ttl":5}""", "ttl", "unknown key 'ttl'")]
    [InlineData("aggregate", null, "", "found nothing")]
    [InlineData("aggregate", """{"onError":"partial"}""", "calls", "name the calls to make")]
    [InlineData("aggregate", """{"calls":{"a":{"path":"x"}}}""", "calls[a].path", "starting with '/'")]
    [InlineData("aggregate", """{"calls":{"a":{"path":"/x","timeoutMs":0}}}""", "calls[a].timeoutMs", "from 1 to 60000")]
    [InlineData("aggregate", """{"calls":{"errors":{"path":"/x"}}}""", "calls[errors]", "errorsKey")]
    [InlineData("aggregate", """{"calls":{"a":{"path":"/x"}},"onError":"ignore"}""", "onError", "expected partial or fail")]
    [InlineData("aggregate", """{"calls":{"a":{"path":"/x","method":"POST"}}}""", "calls[a].method", "unknown key 'method'")]
    [InlineData("aggregate", """{"calls":{"a":{"path":"/${nope}"}}}""", "calls[a].path", "unknown variable")]
    public void Validate_Bad_ErrorOnField(string plugin, string? settings, string field, string message)
    {
        var error = Assert.Single(Validate(plugin, settings));

        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
