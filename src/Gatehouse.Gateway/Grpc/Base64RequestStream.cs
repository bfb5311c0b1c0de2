using System.Buffers;
using System.Buffers.Text;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Grpc;

/// <summary>
/// The decoded body of a <c>application/grpc-web-text</c> request, read from the base64 text as it arrives. gRPC-Web
/// clients may encode each message on its own, so padding can occur inside the stream: every quad that carries
/// padding ends a block and decoding goes on after it.
/// </summary>
/// <remarks>
/// Ours rather than the gRPC-Web middleware's decoder, which works on the request's PipeReader: the forwarder streams
/// <c>HttpRequest.Body</c> and waits for data with zero-byte reads, which a stream over that reader does not pass
/// through faithfully. Here a zero-byte read is passed to the client's stream unchanged.
/// </remarks>
internal sealed class Base64RequestStream(Stream inner) : Stream
{
    private readonly byte[] _text = new byte[4096];
    private readonly byte[] _spill = new byte[3];
    private int _textStart;
    private int _textEnd;
    private int _spillStart;
    private int _spillEnd;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            // Data is ready when something is decoded or decodable; otherwise wait as the client's stream waits.
            if (_spillEnd > _spillStart || _textEnd - _textStart >= 4)
            {
                return 0;
            }

            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            if (_spillEnd > _spillStart)
            {
                var count = Math.Min(buffer.Length, _spillEnd - _spillStart);
                _spill.AsSpan(_spillStart, count).CopyTo(buffer.Span);
                _spillStart += count;
                return count;
            }

            if (_textEnd - _textStart >= 4)
            {
                return Decode(buffer.Span);
            }

            // Fewer than four characters left: move them to the front and read more text.
            _text.AsSpan(_textStart, _textEnd - _textStart).CopyTo(_text);
            _textEnd -= _textStart;
            _textStart = 0;
            var read = await inner.ReadAsync(_text.AsMemory(_textEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_textEnd > 0)
                {
                    throw Malformed($"The grpc-web-text body ends inside a base64 quad ({_textEnd} character(s) left over).");
                }

                return 0;
            }

            _textEnd += read;
        }
    }

    /// <summary>Decodes whole quads up to and including the first padded one, into <paramref name="destination"/> or the spill.</summary>
    private int Decode(Span<byte> destination)
    {
        var available = _text.AsSpan(_textStart, (_textEnd - _textStart) & ~3);
        var padded = available.IndexOf((byte)'=');
        var block = padded < 0 ? available : available[..((padded & ~3) + 4)];
        if (destination.Length < 3)
        {
            // Too small for one quad's bytes: decode one quad aside and hand out what fits.
            var quad = block[..4];
            Check(Base64.DecodeFromUtf8(quad, _spill, out _, out var spilled), quad);
            _textStart += 4;
            _spillStart = 0;
            _spillEnd = spilled;
            var count = Math.Min(destination.Length, spilled);
            _spill.AsSpan(0, count).CopyTo(destination);
            _spillStart = count;
            return count;
        }

        // Whole quads that fit; the last one may be padded (the decoder needs it as a final block then).
        var quads = Math.Min(block.Length / 4, destination.Length / 3);
        var text = block[..(quads * 4)];
        Check(Base64.DecodeFromUtf8(text, destination, out var consumed, out var written), text);
        _textStart += consumed;
        return written;
    }

    private static void Check(OperationStatus status, ReadOnlySpan<byte> text)
    {
        if (status != OperationStatus.Done)
        {
            throw Malformed($"The grpc-web-text body is not valid base64 ({status} in {text.Length} character(s)).");
        }
    }

    /// <summary>As Kestrel reports a malformed body, so the forwarder answers 400 (as gRPC: INTERNAL) and logs it as the client's.</summary>
    private static BadHttpRequestException Malformed(string message) => new(message, StatusCodes.Status400BadRequest);

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
