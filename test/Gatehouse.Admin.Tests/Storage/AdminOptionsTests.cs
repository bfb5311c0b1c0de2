using Gatehouse.Admin.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Tests.Storage;

public sealed class AdminOptionsTests
{
    [Theory]
    [InlineData("Gatehouse:Admin:Provider", "mysql", "Provider")]
    [InlineData("Gatehouse:Admin:Database", "", "Database")]
    public async Task Start_InvalidSetting_FailsNamingIt(string key, string value, string member)
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-admin-options-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
                AdminHost.StartAsync(directory: directory, settings: new Dictionary<string, string?> { [key] = value }));
            Assert.Contains(member, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
