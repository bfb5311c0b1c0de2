using Gatehouse.Gateway.Observability.AccessLog;

namespace Gatehouse.Gateway.Tests.Observability.AccessLog;

public class AccessLogQueueTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(5, 8)]
    [InlineData(16, 16)]
    public void Capacity_RoundsUpToPowerOfTwo(int requested, int expected)
    {
        Assert.Equal(expected, new AccessLogQueue<int>(requested).Capacity);
    }

    [Fact]
    public void TryEnqueue_Full_RefusesUntilOneIsTaken_ThenFifo()
    {
        var queue = new AccessLogQueue<int>(4);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(i));
        }

        Assert.False(queue.TryEnqueue(99));
        Assert.Equal(4, queue.Count);
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal(0, first);
        Assert.True(queue.TryEnqueue(4));

        var rest = new List<int>();
        while (queue.TryDequeue(out var item))
        {
            rest.Add(item);
        }

        Assert.Equal([1, 2, 3, 4], rest);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void ManyProducers_OneConsumer_EveryAcceptedItemArrivesOnce()
    {
        // Small queue so producers keep finding it full while the consumer races them around the ring.
        var queue = new AccessLogQueue<long>(64);
        const int producers = 4;
        const int perProducer = 50_000;
        var accepted = new long[producers];
        var done = 0;
        var received = new List<long>();
        var consumer = new Thread(() =>
        {
            while (true)
            {
                var finished = Volatile.Read(ref done) == producers;
                while (queue.TryDequeue(out var item))
                {
                    received.Add(item);
                }

                if (finished)
                {
                    return;
                }

                Thread.Yield();
            }
        });
        consumer.Start();

        Parallel.For(0, producers, new ParallelOptions { MaxDegreeOfParallelism = producers }, p =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                if (queue.TryEnqueue(((long)p << 32) | (uint)i))
                {
                    accepted[p]++;
                }
            }

            Interlocked.Increment(ref done);
        });
        Assert.True(consumer.Join(TimeSpan.FromSeconds(60)));

        Assert.Equal(accepted.Sum(), received.Count);
        Assert.Equal(received.Count, received.Distinct().Count());

        // Per producer, items arrive in the order they were accepted.
        for (var p = 0; p < producers; p++)
        {
            var mine = received.Where(x => (x >> 32) == p).Select(x => (uint)x).ToList();
            Assert.Equal(mine.OrderBy(x => x), mine);
        }
    }
}
