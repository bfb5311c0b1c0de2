using System.Buffers.Binary;
using Gatehouse.Core.Config;
using Gatehouse.Core.Hashing;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Routing;

/// <summary>
/// The canary split of one lane for one route table: the ordinary and the canary node set and how many of 10,000
/// buckets go to the canary. Immutable; built with the table, so health changes move the split by rebuilding it.
/// </summary>
internal sealed class CanarySplit
{
    /// <summary>Buckets per split: percent × 100, so the split has 0.01 % steps.</summary>
    public const int Buckets = 10_000;

    // Sticky keys are re-hashed with their own seed, so the canary side of a key does not follow its position on a
    // consistent-hash ring that hashes the same key with seed 0.
    private const ulong StickySeed = 0x6761_7465_6361_6E61; // "gatecana"

    private readonly HashKeySource _stickySource;
    private readonly string? _stickyName;
    private readonly bool _sticky;

    private CanarySplit(NodeSet ordinary, NodeSet canary, int threshold, int configuredThreshold, CanaryStickyConfig? sticky)
    {
        Ordinary = ordinary;
        Canary = canary;
        Threshold = threshold;
        ConfiguredThreshold = configuredThreshold;
        if (sticky is not null)
        {
            _sticky = true;
            _stickyName = sticky.Name;
            _stickySource = sticky.Source switch
            {
                CanaryKeySource.Header => HashKeySource.Header,
                CanaryKeySource.Query => HashKeySource.Query,
                _ => HashKeySource.ClientIp,
            };
        }
    }

    public NodeSet Ordinary { get; }

    public NodeSet Canary { get; }

    /// <summary>Buckets below this go to the canary: the configured share, or 0 / 10,000 after a fallback.</summary>
    public int Threshold { get; }

    /// <summary>The share the config asks for, in buckets.</summary>
    public int ConfiguredThreshold { get; }

    /// <summary>Builds the split; a side with no online, healthy node hands its share to the other.</summary>
    public static CanarySplit Create(CanaryConfig config, NodeSet ordinary, NodeSet canary)
    {
        var configured = ToBuckets(config.Percent);
        var threshold = configured;
        var ordinaryUp = HasHealthy(ordinary.Nodes);
        var canaryUp = HasHealthy(canary.Nodes);
        if (ordinaryUp != canaryUp)
        {
            threshold = canaryUp ? Buckets : 0;
        }
        else if (!ordinaryUp && (ordinary.Nodes.Length == 0) != (canary.Nodes.Length == 0))
        {
            // Neither side has a routed healthy node; kept for sets built without the health router: a side with
            // no node at all cannot serve, so its share goes to the other.
            threshold = canary.Nodes.Length > 0 ? Buckets : 0;
        }

        return new CanarySplit(ordinary, canary, threshold, configured, config.Sticky);
    }

    /// <summary>Percent to buckets, rounded to the nearest 0.01 %.</summary>
    public static int ToBuckets(double percent) => (int)Math.Round(Math.Clamp(percent, 0, 100) * 100, MidpointRounding.AwayFromZero);

    /// <summary>Picks the side of one ordinary request; allocates nothing.</summary>
    public NodeSet Choose(HttpContext context, CanaryDraw draw)
    {
        var threshold = Threshold;
        if (threshold <= 0)
        {
            return Ordinary;
        }

        if (threshold >= Buckets)
        {
            return Canary;
        }

        var bucket = _sticky && HashKeyReader.TryHash(context, _stickySource, _stickyName, out var hash)
            ? StickyBucket(hash)
            : draw.Next();
        return bucket < threshold ? Canary : Ordinary;
    }

    /// <summary>True when a request's side follows a key of its own (header, query or client IP) rather than a draw.</summary>
    public bool Sticky => _sticky;

    /// <summary>
    /// The side <see cref="Choose"/> would give the request when that is decided without the per-request draw (a share
    /// of 0 or 100 %, or a sticky key), else null; changes no state. For route explanations.
    /// </summary>
    /// <param name="bucket">The sticky key's bucket when one decided the side, else null.</param>
    public NodeSet? ChooseWithoutDraw(HttpContext context, out int? bucket)
    {
        bucket = null;
        var threshold = Threshold;
        if (threshold <= 0)
        {
            return Ordinary;
        }

        if (threshold >= Buckets)
        {
            return Canary;
        }

        if (!_sticky || !HashKeyReader.TryHash(context, _stickySource, _stickyName, out var hash))
        {
            return null;
        }

        var b = StickyBucket(hash);
        bucket = b;
        return b < threshold ? Canary : Ordinary;
    }

    /// <summary>The bucket (0..9999) of a sticky key's hash; a key stays on its side while the threshold does not cross it.</summary>
    public static int StickyBucket(ulong keyHash)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, keyHash);
        return (int)(XxHash64.Hash(bytes, StickySeed) % Buckets);
    }

    private static bool HasHealthy(NodeModel[] nodes)
    {
        // Routed sets hold online, healthy nodes; health is looked at again for pipelines without the health router.
        foreach (var node in nodes)
        {
            if (node.State.Healthy)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The per-request draw of a non-sticky canary: a lock-free counter stepped through a Weyl sequence (multiples of
/// the golden ratio modulo 2^64). Consecutive draws spread evenly over the buckets, so any run of N requests sends
/// N × percent of them to the canary to within a few requests, without the variance of a random draw.
/// </summary>
internal sealed class CanaryDraw
{
    private const ulong GoldenRatio = 0x9E37_79B9_7F4A_7C15;
    private long _counter;

    /// <summary>Next bucket, 0..9999.</summary>
    public int Next()
    {
        var n = (ulong)Interlocked.Increment(ref _counter);
        // The top 32 bits of the 64-bit fraction, scaled to the bucket count without division.
        return (int)(((n * GoldenRatio) >> 32) * CanarySplit.Buckets >> 32);
    }
}
