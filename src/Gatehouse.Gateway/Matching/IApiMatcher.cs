using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Matching;

/// <summary>Finds the API of one service that a request targets.</summary>
public interface IApiMatcher
{
    /// <summary>
    /// Returns the best API for <paramref name="method"/> and <paramref name="path"/>, or null.
    /// Precedence: exact, then template (<c>{id}</c>), then wildcard (<c>*</c>, <c>**</c>, prefix), then regex
    /// in configured order. A path match whose methods exclude the request's method does not count.
    /// </summary>
    ApiModel? Match(string method, ReadOnlySpan<char> path);
}
