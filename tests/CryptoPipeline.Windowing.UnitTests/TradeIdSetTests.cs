namespace CryptoPipeline.Windowing.UnitTests;

public class TradeIdSetTests
{
    [Fact]
    public void Contiguous_ids_are_held_as_one_range()
    {
        var set = new TradeIdSet();

        for (var id = 1000L; id < 2000; id++)
        {
            Assert.True(set.Add(id));
        }

        Assert.Equal([(1000L, 1999L)], set.Ranges);
        Assert.Equal(1000, set.Count);
    }

    [Fact]
    public void Adding_an_id_already_held_returns_false_and_changes_nothing()
    {
        var set = TradeIdSet.FromRanges([(1, 5), (10, 12)]);

        Assert.False(set.Add(1));
        Assert.False(set.Add(3));
        Assert.False(set.Add(12));

        Assert.Equal([(1L, 5L), (10L, 12L)], set.Ranges);
        Assert.Equal(8, set.Count);
    }

    [Fact]
    public void Filling_a_gap_joins_the_ranges_on_both_sides()
    {
        var set = TradeIdSet.FromRanges([(1, 5), (7, 9)]);

        Assert.True(set.Add(6));

        Assert.Equal([(1L, 9L)], set.Ranges);
        Assert.Equal(9, set.Count);
    }

    [Fact]
    public void Ids_below_and_between_ranges_extend_a_neighbour_or_start_their_own_range()
    {
        var set = TradeIdSet.FromRanges([(10, 20), (30, 40)]);

        Assert.True(set.Add(9));
        Assert.True(set.Add(5));
        Assert.True(set.Add(21));
        Assert.True(set.Add(29));
        Assert.True(set.Add(25));
        Assert.True(set.Add(42));

        Assert.Equal([(5L, 5L), (9L, 21L), (25L, 25L), (29L, 40L), (42L, 42L)], set.Ranges);
        Assert.Equal(28, set.Count);
    }

    [Fact]
    public void Ids_in_random_order_with_repeats_give_the_same_set_as_a_hash_set()
    {
        var random = new Random(20250101);
        var set = new TradeIdSet();
        var reference = new HashSet<long>();

        for (var i = 0; i < 20_000; i++)
        {
            var id = random.Next(0, 5_000);
            Assert.Equal(reference.Add(id), set.Add(id));
        }

        Assert.Equal(reference.Count, set.Count);
        Assert.Equal(Ranges(reference), set.Ranges);
        for (var id = -1L; id <= 5_001; id++)
        {
            Assert.Equal(reference.Contains(id), set.Contains(id));
        }
    }

    [Fact]
    public void Ids_at_the_ends_of_the_long_range_do_not_overflow()
    {
        var set = new TradeIdSet();

        Assert.True(set.Add(long.MaxValue));
        Assert.True(set.Add(long.MinValue));
        Assert.True(set.Add(long.MaxValue - 1));
        Assert.True(set.Add(long.MinValue + 1));

        Assert.Equal([(long.MinValue, long.MinValue + 1), (long.MaxValue - 1, long.MaxValue)], set.Ranges);
        Assert.False(set.Add(long.MaxValue));
        Assert.True(set.Contains(long.MinValue));
        Assert.False(set.Contains(0));
    }

    [Fact]
    public void Stored_ranges_round_trip_and_touching_ranges_are_joined_as_postgres_does()
    {
        var set = TradeIdSet.FromRanges([(1, 3), (4, 4), (5, 8), (20, 21)]);

        Assert.Equal([(1L, 8L), (20L, 21L)], set.Ranges);
        Assert.Equal(10, set.Count);
        Assert.Equal(set.Ranges, TradeIdSet.FromRanges(set.Ranges).Ranges);
    }

    [Theory]
    [InlineData(5, 4, 10, 12)]
    [InlineData(1, 5, 5, 8)]
    [InlineData(10, 12, 1, 5)]
    public void Stored_ranges_that_are_reversed_overlap_or_are_out_of_order_are_rejected(long first1, long last1, long first2, long last2)
    {
        var error = Assert.Throws<ArgumentException>(() => TradeIdSet.FromRanges([(first1, last1), (first2, last2)]));

        Assert.Contains("range", error.Message, StringComparison.Ordinal);
    }

    private static List<(long First, long Last)> Ranges(IEnumerable<long> ids)
    {
        var ranges = new List<(long First, long Last)>();
        foreach (var id in ids.Order())
        {
            if (ranges.Count > 0 && ranges[^1].Last + 1 == id)
            {
                ranges[^1] = (ranges[^1].First, id);
            }
            else
            {
                ranges.Add((id, id));
            }
        }

        return ranges;
    }
}
