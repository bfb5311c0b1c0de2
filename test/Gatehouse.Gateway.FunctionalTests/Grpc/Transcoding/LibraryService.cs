using Gatehouse.Tests.Transcode;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>The test proto's service on a real Grpc.AspNetCore node: echoes what it was sent, fails on request.</summary>
public sealed class LibraryService : Library.LibraryBase
{
    public override Task<Shelf> GetShelf(GetShelfRequest request, ServerCallContext context)
    {
        if (request.Name == "shelves/missing")
        {
            // A google.rpc.Status with details, as richer error models send it (grpc-status-details-bin).
            var status = new Google.Rpc.Status
            {
                Code = (int)StatusCode.NotFound,
                Message = "shelf 'missing' does not exist",
                Details = { Any.Pack(new Google.Rpc.ResourceInfo { ResourceType = "shelf", ResourceName = request.Name }) },
            };
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.NotFound, status.Message),
                new Metadata { { "grpc-status-details-bin", status.ToByteArray() } });
        }

        // Who called, and with which metadata: the gateway's request headers reach the node.
        var theme = request.Name == "shelves/trace"
            ? context.RequestHeaders.GetValue("traceparent") ?? "none"
            : context.RequestHeaders.GetValue("x-theme") ?? "none";
        return Task.FromResult(new Shelf { Name = request.Name, Theme = theme, View = request.View, MinPages = request.MinPages });
    }

    public override Task<Book> CreateBook(CreateBookRequest request, ServerCallContext context)
    {
        var book = request.Book.Clone();
        book.Id = 1001;
        book.Author = $"{book.Author} ({request.Parent}, {request.RequestId})";
        return Task.FromResult(book);
    }

    public override Task<Book> UpdateBook(Book request, ServerCallContext context) => Task.FromResult(request);

    public override Task<Book> GetBookTitle(GetBookRequest request, ServerCallContext context)
        => Task.FromResult(new Book { Id = request.Id, Title = $"Title {request.Id}" });

    public override Task<Empty> DeleteBook(GetBookRequest request, ServerCallContext context) => Task.FromResult(new Empty());

    public override Task<Everything> Echo(Everything request, ServerCallContext context) => Task.FromResult(request);

    public override async Task ListBooks(ListBooksRequest request, IServerStreamWriter<Book> responseStream, ServerCallContext context)
    {
        for (var i = 1; i <= request.Count; i++)
        {
            if (request.DelayMs > 0)
            {
                await Task.Delay(request.DelayMs, context.CancellationToken);
            }

            await responseStream.WriteAsync(new Book { Id = i, Title = $"{request.Parent} #{i}", Genre = Genre.Fiction });
        }

        if (request.FailCode != 0)
        {
            throw new RpcException(new global::Grpc.Core.Status((StatusCode)request.FailCode, $"stopped after {request.Count}"));
        }
    }

    public override Task<Empty> Fail(FailRequest request, ServerCallContext context)
        => throw new RpcException(new global::Grpc.Core.Status((StatusCode)request.Code, request.Message));

    public override Task<Book> Unbound(Book request, ServerCallContext context)
        => Task.FromResult(new Book { Id = request.Id, Title = request.Title.ToUpperInvariant() });
}
