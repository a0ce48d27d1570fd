using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Database.FunctionalTests.Schema;

public sealed class TradeHistoryTests(PostgresFixture postgres)
{
    private static readonly DateOnly Day = new(2024, 8, 8);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Partitions_are_created_ahead_once_per_utc_day_and_hold_that_days_trades()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);

        var created = await Sql.ScalarAsync<int>(connectionString, "SELECT ensure_trade_partitions(@day, 3)", ("day", Day));
        var createdAgain = await Sql.ScalarAsync<int>(connectionString, "SELECT ensure_trade_partitions(@day, 4)", ("day", Day));
        // The last trade of 9 August UTC, and the first of the 10th.
        await InsertTradeAsync(connectionString, 1, new DateTime(2024, 8, 9, 23, 59, 59, 999, DateTimeKind.Utc));
        await InsertTradeAsync(connectionString, 2, new DateTime(2024, 8, 10, 0, 0, 0, DateTimeKind.Utc));

        Assert.Equal(3, created);
        Assert.Equal(1, createdAgain);
        Assert.Equal(
            ["trades_p20240808", "trades_p20240809", "trades_p20240810", "trades_p20240811"],
            await PartitionsAsync(connectionString));
        var placement = await Sql.RowsAsync(connectionString, "SELECT trade_id, tableoid::regclass::text FROM trades ORDER BY trade_id");
        Assert.Equal(
            [(1L, "trades_p20240809"), (2L, "trades_p20240810")],
            placement.Select(r => ((long)r[0]!, (string)r[1]!)));
    }

    [Fact]
    public async Task Concurrent_callers_create_each_partition_once()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);

        var created = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(
            () => Sql.ScalarAsync<int>(connectionString, "SELECT ensure_trade_partitions(@day, 5)", ("day", Day)), Cancellation)));

        Assert.Equal(5, created.Sum());
        Assert.Equal(5, (await PartitionsAsync(connectionString)).Count);
    }

    [Fact]
    public async Task A_trade_of_a_day_without_partition_is_rejected()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        await Sql.ExecuteAsync(connectionString, "SELECT ensure_trade_partitions(@day, 1)", ("day", Day));

        var error = await Assert.ThrowsAsync<PostgresException>(
            () => InsertTradeAsync(connectionString, 1, new DateTime(2024, 8, 9, 0, 0, 0, DateTimeKind.Utc)));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Contains("no partition", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_drops_the_days_before_the_cutoff_with_their_trades_and_keeps_the_rest()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        await Sql.ExecuteAsync(connectionString, "SELECT ensure_trade_partitions(@day, 4)", ("day", Day));
        for (var day = 0; day < 4; day++)
        {
            await InsertTradeAsync(connectionString, day, new DateTime(2024, 8, 8 + day, 12, 0, 0, DateTimeKind.Utc));
        }

        var dropped = await Sql.ScalarAsync<int>(connectionString, "SELECT drop_trade_partitions_before(@cutoff)", ("cutoff", Day.AddDays(2)));
        var droppedAgain = await Sql.ScalarAsync<int>(connectionString, "SELECT drop_trade_partitions_before(@cutoff)", ("cutoff", Day.AddDays(2)));

        Assert.Equal(2, dropped);
        Assert.Equal(0, droppedAgain);
        Assert.Equal(["trades_p20240810", "trades_p20240811"], await PartitionsAsync(connectionString));
        Assert.Equal(
            [2L, 3L],
            (await Sql.RowsAsync(connectionString, "SELECT trade_id FROM trades ORDER BY trade_id")).Select(r => (long)r[0]!));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(3661)]
    public async Task Creating_partitions_for_an_unreasonable_number_of_days_fails_naming_the_argument(int days)
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);

        var error = await Assert.ThrowsAsync<PostgresException>(
            () => Sql.ExecuteAsync(connectionString, "SELECT ensure_trade_partitions(@day, @days)", ("day", Day), ("days", days)));

        Assert.Contains("p_days", error.MessageText, StringComparison.Ordinal);
        Assert.Empty(await PartitionsAsync(connectionString));
    }

    private static Task InsertTradeAsync(string connectionString, long tradeId, DateTime time) =>
        Sql.ExecuteAsync(connectionString, """
            INSERT INTO trades (exchange, symbol, trade_id, price, qty, quote_qty, is_buyer_maker, trade_time)
            VALUES ('binance', 'BTCUSDT', @id, 60000.5, 0.002, 120.001, false, @time)
            """, ("id", tradeId), ("time", time));

    private static async Task<List<string>> PartitionsAsync(string connectionString) =>
        [.. (await Sql.RowsAsync(connectionString, """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'trades'::regclass AND c.relkind = 'r' ORDER BY 1
            """)).Select(r => (string)r[0]!)];
}
