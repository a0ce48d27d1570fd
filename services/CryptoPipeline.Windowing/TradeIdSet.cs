using System.Runtime.InteropServices;

namespace CryptoPipeline.Windowing;

/// <summary>
/// The trade ids a window has counted, as sorted, disjoint, non-adjacent inclusive ranges: how candles
/// count each (exchange, symbol, trade id) once, however often and however late it arrives. Exchange ids
/// are mostly contiguous, so a window's set is usually one range and the next id extends the last range
/// in O(1); anything else is a binary search. The sink stores <see cref="Ranges"/> with the candle row
/// (PostgreSQL <c>int8multirange</c>, which normalises ranges the same way) and reloads it with
/// <see cref="FromRanges"/>.
/// </summary>
public sealed class TradeIdSet
{
    private readonly List<(long First, long Last)> _ranges;

    public TradeIdSet()
        : this([])
    {
    }

    private TradeIdSet(List<(long First, long Last)> ranges)
    {
        _ranges = ranges;
        Ranges = _ranges.AsReadOnly();
        foreach (var (first, last) in ranges)
        {
            Count += last - first + 1;
        }
    }

    /// <summary>Sorted by <c>First</c>; no two ranges overlap or touch.</summary>
    public IReadOnlyList<(long First, long Last)> Ranges { get; }

    /// <summary>How many ids the set holds.</summary>
    public long Count { get; private set; }

    /// <summary>
    /// Builds a set from stored ranges (inclusive bounds), which must be in ascending order and must not
    /// overlap; ranges that touch are joined.
    /// </summary>
    /// <exception cref="ArgumentException">A range is reversed, out of order or overlaps another.</exception>
    public static TradeIdSet FromRanges(IEnumerable<(long First, long Last)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var list = new List<(long First, long Last)>();
        foreach (var range in ranges)
        {
            if (range.First > range.Last)
            {
                throw new ArgumentException($"Trade id range [{range.First}, {range.Last}] is reversed.", nameof(ranges));
            }

            if (list.Count == 0)
            {
                list.Add(range);
                continue;
            }

            var previous = list[^1];
            if (range.First <= previous.Last)
            {
                throw new ArgumentException(
                    $"Trade id range [{range.First}, {range.Last}] overlaps or precedes [{previous.First}, {previous.Last}]; stored ranges are ascending and disjoint.",
                    nameof(ranges));
            }

            if (range.First == previous.Last + 1)
            {
                list[^1] = (previous.First, range.Last);
            }
            else
            {
                list.Add(range);
            }
        }

        return new TradeIdSet(list);
    }

    public bool Contains(long id)
    {
        var count = _ranges.Count;
        if (count == 0 || id > _ranges[count - 1].Last)
        {
            return false;
        }

        var index = IndexOfLastRangeStartingAtOrBefore(id);
        return index >= 0 && id <= _ranges[index].Last;
    }

    /// <summary>Adds the id; false when it was already in the set.</summary>
    public bool Add(long id)
    {
        var ranges = CollectionsMarshal.AsSpan(_ranges);
        if (ranges.Length == 0)
        {
            _ranges.Add((id, id));
        }
        else if (id > ranges[^1].Last)
        {
            // The common case: the next id of a contiguous feed, or a later one after a gap.
            ref var last = ref ranges[^1];
            if (id == last.Last + 1)
            {
                last.Last = id;
            }
            else
            {
                _ranges.Add((id, id));
            }
        }
        else
        {
            return AddBeforeLast(id);
        }

        Count++;
        return true;
    }

    private bool AddBeforeLast(long id)
    {
        var index = IndexOfLastRangeStartingAtOrBefore(id);
        var ranges = CollectionsMarshal.AsSpan(_ranges);
        if (index >= 0 && id <= ranges[index].Last)
        {
            return false;
        }

        // id falls in the gap between ranges[index] (if any) and ranges[index + 1], which exists
        // because id is below the last range's end.
        var joinsLeft = index >= 0 && ranges[index].Last + 1 == id;
        var joinsRight = ranges[index + 1].First - 1 == id;
        if (joinsLeft && joinsRight)
        {
            ranges[index].Last = ranges[index + 1].Last;
            _ranges.RemoveAt(index + 1);
        }
        else if (joinsLeft)
        {
            ranges[index].Last = id;
        }
        else if (joinsRight)
        {
            ranges[index + 1].First = id;
        }
        else
        {
            _ranges.Insert(index + 1, (id, id));
        }

        Count++;
        return true;
    }

    /// <summary>Index of the range with the greatest <c>First</c> not above <paramref name="id"/>, or -1.</summary>
    private int IndexOfLastRangeStartingAtOrBefore(long id)
    {
        var ranges = CollectionsMarshal.AsSpan(_ranges);
        int low = 0, high = ranges.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            if (ranges[middle].First <= id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return high;
    }

    public override string ToString() => string.Join(",", _ranges.Select(r => r.First == r.Last ? $"{r.First}" : $"{r.First}-{r.Last}"));
}
