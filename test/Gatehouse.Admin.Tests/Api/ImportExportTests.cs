using System.Net;
using System.Text;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Api;

public abstract class ImportExportTests(AdminFixture store) : IAsyncLifetime
{
    private static readonly string _samplePath = Path.Combine(AppContext.BaseDirectory, "samples", "gatehouse.yaml");
    private AdminHost _host = null!;

    public async Task InitializeAsync()
    {
        // Every test imports into the group "default", so each one gets an admin and a store of its own.
        _host = await store.StartAdminAsync();
        var response = await _host.Client.PostAsync("/api/v1/groups", AdminHost.Json("""{"name":"default"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ImportSample_ThenExport_RoundTripsToTheSameChecksum()
    {
        var yaml = await File.ReadAllTextAsync(_samplePath);
        var imported = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            new StringContent(yaml, Encoding.UTF8, "application/yaml"))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, imported.GetProperty("version").GetInt64());
        var expected = ConfigLoader.LoadFile(_samplePath) with { Version = 2, Group = "default" };
        Assert.Equal(ConfigChecksum.Compute(expected), imported.GetProperty("checksum").GetString());

        var exportResponse = await _host.Client.GetAsync("/api/v1/groups/default/export");
        Assert.Equal(HttpStatusCode.OK, exportResponse.StatusCode);
        var exported = ConfigLoader.Parse(await exportResponse.Content.ReadAsStringAsync(), "export.json", ConfigFormat.Json);
        Assert.Equal(imported.GetProperty("checksum").GetString(), ConfigChecksum.Compute(exported));

        // Importing the export again changes nothing but the version number.
        var again = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            AdminHost.Json(ConfigSerializer.Serialize(exported)))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(ConfigChecksum.Compute(exported with { Version = 3 }), again.GetProperty("checksum").GetString());
    }

    [Theory]
    [InlineData("application/yaml", "application/yaml")]
    [InlineData("text/yaml", "text/yaml")]
    [InlineData("application/json;q=0.5, application/yaml", "application/yaml")]
    public async Task Export_AcceptYaml_AnswersYamlThatImportsToTheSameChecksum(string accept, string expectedType)
    {
        var imported = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            new StringContent(await File.ReadAllTextAsync(_samplePath), Encoding.UTF8, "application/yaml"))).ReadJsonAsync(HttpStatusCode.OK);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/groups/default/export");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        var response = await _host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept", response.Headers.Vary);
        var yaml = await response.Content.ReadAsStringAsync();

        // The project's own loader (what a gateway and `gatehouse validate` use) reads it back to the published checksum.
        Assert.StartsWith("# Gatehouse config of group 'default', version 2", yaml, StringComparison.Ordinal);
        var exported = ConfigLoader.Parse(yaml, "export.yaml", ConfigFormat.Yaml);
        Assert.Equal(imported.GetProperty("checksum").GetString(), ConfigChecksum.Compute(exported));

        var again = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            new StringContent(yaml, Encoding.UTF8, "application/yaml"))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(ConfigChecksum.Compute(exported with { Version = 3 }), again.GetProperty("checksum").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*/*")]
    [InlineData("application/json")]
    [InlineData("text/html")]
    public async Task Export_WithoutYamlInAccept_StaysJson(string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/groups/default/export");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        var response = await _host.Client.SendAsync(request);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("default", ConfigSerializer.Deserialize(await response.Content.ReadAsStringAsync(), "export").Group);
    }

    [Fact]
    public async Task Export_Yaml_AppSecretOnlySealed_AsInJson_AndImportsBack()
    {
        await _host.Client.PostAsync("/api/v1/groups/default/import",
            new StringContent(await File.ReadAllTextAsync(_samplePath), Encoding.UTF8, "application/yaml"));
        const string secret = "plain-secret-of-the-billing-app-42";
        var put = await _host.Client.PutAsync("/api/v1/groups/default/apps/billing",
            AdminHost.Json($$"""{"secret":"{{secret}}","permissions":["orders"]}"""));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/groups/default/export");
        request.Headers.Accept.ParseAdd("application/yaml");
        var yaml = await (await _host.Client.SendAsync(request)).Content.ReadAsStringAsync();
        var json = await (await _host.Client.GetAsync("/api/v1/groups/default/export")).Content.ReadAsStringAsync();

        Assert.DoesNotContain(secret, yaml, StringComparison.Ordinal);
        var sealedSecret = Assert.Single(ConfigLoader.Parse(yaml, "export.yaml", ConfigFormat.Yaml).Apps!).Secret;
        Assert.StartsWith("enc:v1:", sealedSecret, StringComparison.Ordinal);
        Assert.Equal(sealedSecret, Assert.Single(ConfigSerializer.Deserialize(json, "export").Apps!).Secret);

        var again = await _host.Client.PostAsync("/api/v1/groups/default/import", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var reexported = await (await _host.Client.GetAsync("/api/v1/groups/default/export")).Content.ReadAsStringAsync();
        Assert.Equal(sealedSecret, Assert.Single(ConfigSerializer.Deserialize(reexported, "export").Apps!).Secret);
    }

    [Fact]
    public async Task Import_InvalidDocument_NamesTheEntryAndChangesNothing()
    {
        var versions = await _host.VersionCountAsync("default");
        const string yaml = """
            services:
              - name: orders
                nodes:
                  - address: ftp://nope
            """;
        var problem = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            new StringContent(yaml, Encoding.UTF8, "application/yaml"))).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.StartsWith("services[orders].nodes", StringComparison.Ordinal));
        Assert.Equal(versions, await _host.VersionCountAsync("default"));
    }

    [Fact]
    public async Task Import_DocumentForAnotherGroup_IsRejected()
    {
        var problem = await (await _host.Client.PostAsync("/api/v1/groups/default/import", AdminHost.Json("""{"group":"other"}""")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("group", out _));
    }
}

public sealed class ImportExportTestsSqlite(SqliteAdmin fixture) : ImportExportTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class ImportExportTestsPostgres(PostgresAdmin fixture) : ImportExportTests(fixture), IClassFixture<PostgresAdmin>;
