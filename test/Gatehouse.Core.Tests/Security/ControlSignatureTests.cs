using System.Text;
using Gatehouse.Core.Security;

namespace Gatehouse.Core.Tests.Security;

public class ControlSignatureTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"version\":3}");

    private static string Sign(long ts = 1_800_000_000, string method = "POST", string path = "/control/config", byte[]? body = null) =>
        ControlSignature.Sign("s3cret", ts, method, path, body ?? Body);

    [Fact]
    public void Verify_Valid_ReturnsNull()
    {
        Assert.Null(ControlSignature.Verify("s3cret", "1800000000", Sign(), "post", "/control/config", Body, Now));
    }

    [Theory]
    [InlineData("other", "1800000000", "POST", "/control/config", "{\"version\":3}", "does not match")]
    [InlineData("s3cret", "1800000000", "GET", "/control/config", "{\"version\":3}", "does not match")]
    [InlineData("s3cret", "1800000000", "POST", "/control/config?x=1", "{\"version\":3}", "does not match")]
    [InlineData("s3cret", "1800000000", "POST", "/control/config", "{\"version\":4}", "does not match")]
    [InlineData("s3cret", "1799999900", "POST", "/control/config", "{\"version\":3}", "does not match")]
    [InlineData("s3cret", "1799999000x", "POST", "/control/config", "{\"version\":3}", "not Unix seconds")]
    [InlineData("s3cret", "", "POST", "/control/config", "{\"version\":3}", "missing")]
    public void Verify_AnythingChanged_Rejected(string secret, string timestamp, string method, string path, string body, string reason)
    {
        var problem = ControlSignature.Verify(secret, timestamp, Sign(), method, path, Encoding.UTF8.GetBytes(body), Now);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
    }

    [Fact]
    public void Verify_OldTimestamp_RejectedEvenWhenSignedCorrectly()
    {
        var ts = Now.AddMinutes(-6).ToUnixTimeSeconds();
        var problem = ControlSignature.Verify("s3cret", ts.ToString(), Sign(ts), "POST", "/control/config", Body, Now);
        Assert.Contains("window", problem);
        Assert.Null(ControlSignature.Verify("s3cret", ts.ToString(), Sign(ts), "POST", "/control/config", Body, Now, TimeSpan.FromMinutes(10)));
    }
}
