using System.Text;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

/// <summary>One HTTP/1.1 response read off a raw connection, framing decoded (chunked bodies de-chunked).</summary>
internal sealed record ParsedResponse(int Status, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body, bool Chunked)
{
    public string? Header(string name)
    {
        foreach (var (n, v) in Headers)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }
}

/// <summary>
/// Reads responses one by one from a keep-alive connection (Content-Length, chunked, or until close), so a test can
/// send the next request on the same connection.
/// </summary>
internal sealed class RawResponseReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Reads the next response; <paramref name="bodyless"/> for a response to HEAD.</summary>
    public async Task<ParsedResponse?> ReadAsync(bool bodyless = false, CancellationToken cancellationToken = default)
    {
        var head = await ReadLineAsync(cancellationToken);
        if (head is null)
        {
            return null;
        }

        var status = int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var headers = new List<(string, string)>();
        string? line;
        while (!string.IsNullOrEmpty(line = await ReadLineAsync(cancellationToken)))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add((line[..colon], line[(colon + 1)..].Trim()));
        }

        var response = new ParsedResponse(status, headers, [], false);
        if (bodyless || status is 204 or 304 || (status >= 100 && status < 200))
        {
            return response;
        }

        var body = new MemoryStream();
        if (string.Equals(response.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var size = Convert.ToInt32((await ReadLineAsync(cancellationToken))!.Split(';')[0], 16);
                if (size == 0)
                {
                    while (!string.IsNullOrEmpty(await ReadLineAsync(cancellationToken)))
                    {
                    }

                    return response with { Body = body.ToArray(), Chunked = true };
                }

                await ReadExactlyAsync(body, size, cancellationToken);
                await ReadLineAsync(cancellationToken);
            }
        }

        if (response.Header("Content-Length") is { } length)
        {
            await ReadExactlyAsync(body, long.Parse(length, System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        }
        else
        {
            while (await FillAsync(cancellationToken))
            {
                body.Write(_buffer, _start, _end - _start);
                _start = _end;
            }
        }

        return response with { Body = body.ToArray() };
    }

    /// <summary>True when the server has closed the connection (nothing more to read).</summary>
    public async Task<bool> IsClosedAsync(CancellationToken cancellationToken) => _start == _end && !await FillAsync(cancellationToken);

    private async Task ReadExactlyAsync(MemoryStream destination, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException("connection closed inside a body");
            }

            var take = (int)Math.Min(count, _end - _start);
            destination.Write(_buffer, _start, take);
            _start += take;
            count -= take;
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                return line.Length == 0 ? null : throw new EndOfStreamException("connection closed inside a line");
            }

            var b = _buffer[_start++];
            if (b == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)b);
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = 0;
        int read;
        try
        {
            read = await stream.ReadAsync(_buffer, cancellationToken);
        }
        catch (IOException)
        {
            return false;
        }

        _end = read;
        return read > 0;
    }
}
