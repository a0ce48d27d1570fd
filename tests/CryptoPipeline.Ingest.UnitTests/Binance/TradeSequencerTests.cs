using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;

namespace CryptoPipeline.Ingest.UnitTests.Binance;

public sealed class TradeSequencerTests
{
    private readonly TradeSequencer _sequencer = new();
    private readonly List<Trade> _ready = [];

    [Fact]
    public void Contiguous_trades_are_published_as_they_come()
    {
        Offer(100, 101, 102);

        Assert.Equal([100L, 101L, 102L], Published());
        Assert.Null(_sequencer.OpenGap);
        Assert.Equal(TradeOffer.Published, _sequencer.Offer(Trade(103), _ready));
    }

    [Fact]
    public void Repeated_and_older_ids_are_dropped()
    {
        Offer(100, 101);

        Assert.Equal(TradeOffer.Duplicate, _sequencer.Offer(Trade(101), _ready));
        Assert.Equal(TradeOffer.Duplicate, _sequencer.Offer(Trade(50), _ready));
        Assert.Equal([100L, 101L], Published());
    }

    [Fact]
    public void A_jump_opens_a_gap_and_holds_the_trades_after_it()
    {
        Offer(100, 104, 105);

        Assert.Equal([100L], Published());
        Assert.Equal((101L, 103L), (_sequencer.OpenGap!.FirstId, _sequencer.OpenGap.LastId));
        Assert.Equal(2, _sequencer.HeldCount);
    }

    [Fact]
    public void Late_live_frames_that_complete_the_gap_release_everything_in_order()
    {
        Offer(100, 103, 104, 102);
        Assert.Equal([100L], Published());

        var offer = _sequencer.Offer(Trade(101), _ready);

        Assert.Equal(TradeOffer.Published, offer);
        Assert.Equal([100L, 101L, 102L, 103L, 104L], Published());
        Assert.Null(_sequencer.OpenGap);
        Assert.Equal(0, _sequencer.HeldCount);
    }

    [Fact]
    public void Back_filled_trades_are_published_before_the_held_ones()
    {
        Offer(100, 105, 106);

        var added = _sequencer.CloseGap([Trade(103, DataSource.Backfill), Trade(101, DataSource.Backfill), Trade(102, DataSource.Backfill), Trade(104, DataSource.Backfill), Trade(105, DataSource.Backfill)], _ready);

        Assert.Equal(4, added);
        Assert.Equal([100L, 101L, 102L, 103L, 104L, 105L, 106L], Published());
        Assert.Equal([DataSource.Live, DataSource.Backfill, DataSource.Backfill, DataSource.Backfill, DataSource.Backfill, DataSource.Live, DataSource.Live], _ready.Select(t => t.Source));
        Assert.Equal(TradeOffer.Published, _sequencer.Offer(Trade(107), _ready));
    }

    [Fact]
    public void A_gap_given_up_publishes_what_it_has_and_moves_on()
    {
        Offer(100, 104, 102);
        var gap = _sequencer.OpenGap!;

        _sequencer.CloseGap([], _ready);

        Assert.Equal([100L, 102L, 104L], Published());
        Assert.Equal([(101L, 101L), (103L, 103L)], gap.MissingRanges());
        Assert.Null(_sequencer.OpenGap);
    }

    [Fact]
    public void A_hole_among_the_held_trades_opens_the_next_gap()
    {
        Offer(100, 103, 106, 107);

        _sequencer.CloseGap([Trade(101), Trade(102)], _ready);

        Assert.Equal([100L, 101L, 102L, 103L], Published());
        Assert.Equal((104L, 105L), (_sequencer.OpenGap!.FirstId, _sequencer.OpenGap.LastId));
        Assert.Equal(2, _sequencer.HeldCount);
    }

    [Fact]
    public void Held_trades_arriving_out_of_order_are_kept_in_order_and_once()
    {
        Offer(100, 110, 108, 109);

        Assert.Equal(TradeOffer.Duplicate, _sequencer.Offer(Trade(108), _ready));
        Assert.Equal(TradeOffer.Duplicate, _sequencer.Offer(Trade(110), _ready));
        _sequencer.CloseGap([.. Enumerable.Range(101, 7).Select(id => Trade(id))], _ready);

        Assert.Equal(Enumerable.Range(100, 11).Select(i => (long)i), Published());
    }

    [Fact]
    public void After_a_restart_the_sequence_continues_after_the_last_trade_published_before_it()
    {
        _sequencer.ResumeAfter(99, Trade(99).TradeTime);

        Assert.Equal(TradeOffer.Duplicate, _sequencer.Offer(Trade(98), _ready));
        Assert.Equal(TradeOffer.Duplicate, _sequencer.Offer(Trade(99), _ready));
        Offer(100, 101);

        Assert.Equal([100L, 101L], Published());
        Assert.Null(_sequencer.OpenGap);
    }

    [Fact]
    public void The_trades_made_while_ingest_was_not_running_are_a_gap_that_spans_the_restart()
    {
        _sequencer.ResumeAfter(99, Trade(99).TradeTime);

        Offer(150, 151);

        var gap = _sequencer.OpenGap!;
        Assert.Empty(Published());
        Assert.Equal((100L, 149L), (gap.FirstId, gap.LastId));
        Assert.Equal(new RestartSpan(Trade(99).TradeTime, Trade(150).TradeTime), gap.Restart);

        // Only the first gap after the restart spans it.
        _sequencer.CloseGap([], _ready);
        Offer(160);
        Assert.Null(_sequencer.OpenGap!.Restart);
    }

    [Fact]
    public void A_sequence_resumes_only_before_its_first_trade()
    {
        Offer(100);

        Assert.Throws<InvalidOperationException>(() => _sequencer.ResumeAfter(99, Trade(99).TradeTime));
    }

    [Fact]
    public void A_gap_knows_which_ids_are_still_missing()
    {
        var gap = new TradeGap(10, 20);
        gap.TryAdd(Trade(10));
        gap.TryAdd(Trade(11));
        gap.TryAdd(Trade(15));
        gap.TryAdd(Trade(20));

        Assert.Equal(12, gap.FirstMissingId);
        Assert.Equal([(12L, 14L), (16L, 19L)], gap.MissingRanges());
        Assert.False(gap.IsComplete);
        Assert.Equal(11, gap.Size);
    }

    private void Offer(params long[] ids)
    {
        foreach (var id in ids)
        {
            _sequencer.Offer(Trade(id), _ready);
        }
    }

    private List<long> Published() => [.. _ready.Select(t => t.TradeId)];

    private static Trade Trade(long id, DataSource source = DataSource.Live) => new()
    {
        Exchange = Exchanges.Binance,
        Market = Markets.Spot,
        Symbol = "BTCUSDT",
        TradeId = id,
        Price = 1m,
        Quantity = 1m,
        TradeTime = DateTimeOffset.FromUnixTimeMilliseconds(1_723_161_255_342 + id),
        IsBuyerMaker = false,
        Kind = TradeKind.Market,
        ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_723_161_255_342 + id),
        Source = source,
    };
}
