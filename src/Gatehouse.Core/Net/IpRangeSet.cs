using System.Net;

namespace Gatehouse.Core.Net;

/// <summary>
/// An immutable set of address ranges as sorted, merged, disjoint intervals: a lookup is one binary search over a
/// flat array, with no allocation, whatever the number of rules.
/// </summary>
public sealed class IpRangeSet
{
    public static readonly IpRangeSet Empty = new([]);

    private readonly IpRange[] _ranges;

    private IpRangeSet(IpRange[] ranges)
    {
        _ranges = ranges;
    }

    public bool IsEmpty => _ranges.Length == 0;

    /// <summary>Number of disjoint intervals after merging (tests and diagnostics).</summary>
    public int IntervalCount => _ranges.Length;

    /// <summary>Builds the set from CIDR texts; throws <see cref="FormatException"/> on the first bad one (config is validated before this).</summary>
    public static IpRangeSet Parse(IEnumerable<string>? cidrs)
    {
        var ranges = new List<IpRange>();
        foreach (var text in cidrs ?? [])
        {
            if (!IpRange.TryParse(text, out var range, out var error))
            {
                throw new FormatException($"Address rule {error}.");
            }

            ranges.Add(range);
        }

        return Create(ranges);
    }

    public static IpRangeSet Create(List<IpRange> ranges)
    {
        if (ranges.Count == 0)
        {
            return Empty;
        }

        ranges.Sort((a, b) => a.First.CompareTo(b.First));
        var merged = new List<IpRange>(ranges.Count) { ranges[0] };
        for (var i = 1; i < ranges.Count; i++)
        {
            var last = merged[^1];
            var next = ranges[i];
            // Overlapping or adjacent intervals merge (Last + 1 cannot overflow unless Last is the top address).
            if (last.Last == UInt128.MaxValue || next.First <= last.Last + 1)
            {
                if (next.Last > last.Last)
                {
                    merged[^1] = last with { Last = next.Last };
                }
            }
            else
            {
                merged.Add(next);
            }
        }

        return new IpRangeSet(merged.ToArray());
    }

    public bool Contains(IPAddress address) => Contains(IpRange.ToUInt128(address));

    public bool Contains(UInt128 address)
    {
        var ranges = _ranges;
        int low = 0, high = ranges.Length - 1;
        while (low <= high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            if (address < ranges[mid].First)
            {
                high = mid - 1;
            }
            else if (address > ranges[mid].Last)
            {
                low = mid + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }
}
