using Gatehouse.Core.Security;

namespace Gatehouse.Core.Tests.Security;

public class DebugTokenTests
{
    private const string Secret = "debug-token-test-secret";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Verify_IssuedForTheGroup_ValidUntilItsExpiry()
    {
        var token = DebugToken.Issue(Secret, "default", Now.AddMinutes(5));

        Assert.Null(DebugToken.Verify(Secret, [], "default", token, Now, out var expires));
        Assert.Equal(Now.AddMinutes(5), expires);
        Assert.Null(DebugToken.Verify(Secret, [], "DEFAULT", token, Now, out _)); // groups compare ignoring case
        Assert.Equal("the token has expired", DebugToken.Verify(Secret, [], "default", token, Now.AddMinutes(5), out _));
    }

    [Fact]
    public void Verify_SignedWithAPreviousSecret_AcceptedDuringARotation()
    {
        var token = DebugToken.Issue("old-secret", "default", Now.AddMinutes(5));

        Assert.NotNull(DebugToken.Verify(Secret, [], "default", token, Now, out _));
        Assert.Null(DebugToken.Verify(Secret, ["old-secret"], "default", token, Now, out _));
    }

    [Theory]
    [InlineData(null, "not a debug token")]
    [InlineData("", "not a debug token")]
    [InlineData("v2.1.abc", "not a debug token")]
    [InlineData("v1..abc", "not a debug token")]
    [InlineData("v1.-5.abc", "not a debug token")]
    [InlineData("v1.99999999999999999999.abc", "not a debug token")]
    public void Verify_Malformed_Refused(string? token, string reason) =>
        Assert.Equal(reason, DebugToken.Verify(Secret, [], "default", token, Now, out _));

    [Fact]
    public void Verify_ForgedTamperedOtherGroupTooLongOrNoSecret_Refused()
    {
        var token = DebugToken.Issue(Secret, "default", Now.AddMinutes(5));
        var expiry = Now.AddMinutes(5).ToUnixTimeSeconds();

        Assert.NotNull(DebugToken.Verify(Secret, [], "default", DebugToken.Issue("other", "default", Now.AddMinutes(5)), Now, out _));
        Assert.NotNull(DebugToken.Verify(Secret, [], "other-group", token, Now, out _));
        // The expiry is signed: moving it forward breaks the signature.
        var moved = token.Replace($".{expiry}.", $".{expiry + 600}.", StringComparison.Ordinal);
        Assert.Equal("the token's signature does not match", DebugToken.Verify(Secret, [], "default", moved, Now, out _));
        Assert.Equal("the token claims to live longer than a debug token may",
            DebugToken.Verify(Secret, [], "default", DebugToken.Issue(Secret, "default", Now.AddDays(1)), Now, out _));
        Assert.Equal("no control secret is configured", DebugToken.Verify(null, [], "default", token, Now, out _));
    }
}
