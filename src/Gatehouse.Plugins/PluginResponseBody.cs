using System.Buffers;

namespace Gatehouse.Plugins;

/// <summary>
/// The collected response body handed to the body phase (<see cref="IGatewayPlugin.OnResponseBodyAsync"/>). A filter
/// reads <see cref="Content"/> and may replace it; the next filter sees the replacement. The gateway sends the final
/// content once every filter has run, with a <c>Content-Length</c> of its length when it was replaced.
/// </summary>
/// <remarks>Valid only during the body phase of one request; not thread-safe.</remarks>
public sealed class PluginResponseBody : IDisposable
{
    private List<byte[]>? _rented;

    /// <summary>Created by the gateway; public so filters can be tested without one.</summary>
    public PluginResponseBody(ReadOnlyMemory<byte> content)
    {
        Content = content;
    }

    /// <summary>The body as it stands: the node's, or what an earlier filter of the body phase replaced it with.</summary>
    public ReadOnlyMemory<byte> Content { get; private set; }

    /// <summary>Whether a filter replaced the node's body.</summary>
    public bool Replaced { get; private set; }

    /// <summary>
    /// Replaces the body with <paramref name="content"/>, which must stay unchanged until the response is sent (a new
    /// array, say; not a buffer returned to a pool).
    /// </summary>
    public void Replace(ReadOnlyMemory<byte> content)
    {
        Content = content;
        Replaced = true;
    }

    /// <summary>
    /// Replaces the body with a buffer of exactly <paramref name="length"/> bytes lent by the gateway, returned to its
    /// pool once the response is sent; the filter fills it before its body phase returns. Read <see cref="Content"/>
    /// first if it is needed: an earlier lent buffer stays valid until the response is sent.
    /// </summary>
    public Memory<byte> Rewrite(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        (_rented ??= []).Add(buffer);
        var memory = buffer.AsMemory(0, length);
        Replace(memory);
        return memory;
    }

    /// <summary>Returns lent buffers; called by the gateway after the response is sent.</summary>
    public void Dispose()
    {
        if (_rented is { } rented)
        {
            _rented = null;
            foreach (var buffer in rented)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
