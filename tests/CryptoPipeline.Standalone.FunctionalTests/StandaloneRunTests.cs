using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Standalone.FunctionalTests;

/// <summary>
/// The whole pipeline in the Standalone process, as the README's first command runs it: a bounded replay run to
/// completion (twice, without duplicating anything), the simulated fallback when the exchange is out of reach, and
/// the command line's own errors.
/// </summary>
public sealed class StandaloneRunTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan ReplayTimeout = TimeSpan.FromMinutes(5);

    // The 2024-08-08/09 spot recordings: trade ids contiguous, as recorded (../shared/data/README.md).
    private static readonly string[] ReplayArguments =
        ["--replay", SharedData.Path("binance/spot-ws"), "--Ingest:Replay:Pattern=spot_*_2024080*.gz", "--exit-when-done"];

    private const string CandlesSql = """
        SELECT symbol, window_start, open, high, low, close, volume, quote_volume, taker_buy_volume, taker_buy_quote_volume,
               trade_count, first_trade_id, last_trade_id, is_final, source
        FROM trades_1min_agg WHERE exchange = 'binance' ORDER BY symbol, window_start
        """;

    private readonly string _dataDirectory = StandaloneProcess.CreateDataDirectory();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_replay_runs_to_completion_with_final_candles_a_second_run_changes_nothing_and_the_api_serves_them()
    {
        var database = await postgres.CreateDatabaseAsync(migrated: false, Cancellation);
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__cryptodb"] = database };

        await RunReplayAsync(environment);
        var candles = await ReadCandlesAsync(database);
        var perSymbol = candles.GroupBy(c => c.Symbol).ToDictionary(
            g => g.Key,
            g => (Trades: g.Sum(c => c.TradeCount), First: g.Min(c => c.FirstTradeId), Last: g.Max(c => c.LastTradeId)));
        Assert.Equal((19_904L, 3_735_683_259L, 3_735_703_162L), perSymbol["BTCUSDT"]);
        Assert.Equal((14_515L, 1_520_538_925L, 1_520_553_439L), perSymbol["ETHUSDT"]);
        Assert.All(candles, c => Assert.True(c.IsFinal && c.Source == "replay", $"{c.Symbol} {c.WindowStart:O}: final {c.IsFinal}, source {c.Source}"));

        // A fresh in-memory Kafka cluster delivers every trade again: each still counts once.
        await RunReplayAsync(environment);
        Assert.Equal(candles, await ReadCandlesAsync(database));

        await using var standalone = StandaloneProcess.Start(_dataDirectory, environment, "--source", "simulated");
        var banner = await StandaloneProcess.ReadBannerAsync(standalone, Cancellation);
        using var http = new HttpClient { BaseAddress = new Uri(banner.Dashboard) };
        var response = await http.GetFromJsonAsync<JsonElement>("api/v1/candles?exchange=binance&symbol=BTCUSDT&limit=1000", Cancellation);
        var served = response.GetProperty("candles").EnumerateArray().ToList();
        Assert.Equal(candles.Count(c => c.Symbol == "BTCUSDT"), served.Count);
        Assert.Equal(19_904L, served.Sum(c => c.GetProperty("tradeCount").GetInt64()));
        Assert.All(served, c => Assert.True(c.GetProperty("isFinal").GetBoolean()));
    }

    [Fact]
    public async Task An_unreachable_exchange_falls_back_to_the_labelled_simulated_market()
    {
        var database = await postgres.CreateDatabaseAsync(migrated: false, Cancellation);
        await using var standalone = StandaloneProcess.Start(_dataDirectory, Unreachable(database));

        var banner = await StandaloneProcess.ReadBannerAsync(standalone, Cancellation);
        Assert.Contains("SIMULATED market (Binance unreachable)", banner.Source, StringComparison.Ordinal);
        Assert.Contains("Running the SIMULATED market instead", standalone.Output, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = new Uri(banner.Dashboard) };
        var symbols = await Eventually.Until(
            () => http.GetFromJsonAsync<JsonElement>("api/v1/symbols", Cancellation),
            json => json.GetArrayLength() > 0,
            StandaloneProcess.StartTimeout,
            "the first simulated candles",
            Cancellation);
        Assert.All(symbols.EnumerateArray(), s => Assert.Equal(("simulated", "simulated"), (s.GetProperty("exchange").GetString(), s.GetProperty("source").GetString())));

        // What the dashboard asks for next: the candles of the first instrument, under the simulated exchange.
        var symbol = symbols.EnumerateArray().First().GetProperty("symbol").GetString();
        var candles = await http.GetFromJsonAsync<JsonElement>($"api/v1/candles?exchange=simulated&symbol={symbol}", Cancellation);
        Assert.All(candles.GetProperty("candles").EnumerateArray(), c => Assert.Equal("simulated", c.GetProperty("source").GetString()));
        Assert.NotEqual(0, candles.GetProperty("candles").GetArrayLength());
    }

    [Fact]
    public async Task An_explicit_source_is_kept_when_the_exchange_is_unreachable()
    {
        var database = await postgres.CreateDatabaseAsync(migrated: false, Cancellation);
        var environment = Unreachable(database);
        await using var standalone = StandaloneProcess.Start(_dataDirectory, environment, "--source", "binance");

        var banner = await StandaloneProcess.ReadBannerAsync(standalone, Cancellation);
        Assert.Contains("NOT REACHABLE", banner.Source, StringComparison.Ordinal);
        Assert.Contains("does not switch to the simulated market", standalone.Output, StringComparison.Ordinal);

        // The live feed keeps trying the exchange it was told to use.
        var endpoint = environment["Ingest__Binance__Spot__WebSocketBaseUrl"]!;
        await standalone.WaitForLineAsync(line => line.Contains("connection", StringComparison.Ordinal) && line.Contains("failed", StringComparison.Ordinal)
            && line.Contains(endpoint, StringComparison.Ordinal), StandaloneProcess.StartTimeout, Cancellation);
        using var http = new HttpClient { BaseAddress = new Uri(banner.Dashboard) };
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("api/v1/symbols", Cancellation)).GetArrayLength());
        Assert.DoesNotContain("Simulating", standalone.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--source", "nasdaq" }, "--source 'nasdaq' is not a source: use one of binance, binance-usdm, bitmex, coingecko, simulated.")]
    [InlineData(new[] { "--exit-when-done" }, "--exit-when-done needs --replay: a live source never ends.")]
    [InlineData(new[] { "--replay", "/nonexistent/feed.gz" }, "--replay '/nonexistent/feed.gz' is neither a file nor a folder.")]
    [InlineData(new[] { "--source", "simulated", "--speed", "10x" }, "--speed only applies to --replay.")]
    public async Task A_bad_command_line_exits_with_code_2_naming_the_option(string[] arguments, string expected)
    {
        await using var standalone = StandaloneProcess.Start(_dataDirectory, null, arguments);
        await standalone.WaitForExitAsync(StandaloneProcess.StartTimeout, Cancellation);

        Assert.Equal(2, standalone.ExitCode);
        Assert.Contains(expected, standalone.Output, StringComparison.Ordinal);
        Assert.Contains("Usage: CryptoPipeline.Standalone", standalone.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_prints_the_usage_and_exits_0()
    {
        await using var standalone = StandaloneProcess.Start(_dataDirectory, null, "--help");
        await standalone.WaitForExitAsync(StandaloneProcess.StartTimeout, Cancellation);

        Assert.Equal(0, standalone.ExitCode);
        Assert.Contains("--replay <file|folder>", standalone.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private async Task RunReplayAsync(Dictionary<string, string?> environment)
    {
        await using var replay = StandaloneProcess.Start(_dataDirectory, environment, ReplayArguments);
        await replay.WaitForExitAsync(ReplayTimeout, Cancellation);
        Assert.True(replay.ExitCode == 0, $"exit code {replay.ExitCode}:\n{replay.Output}");
        Assert.Contains("Replay complete", replay.Output, StringComparison.Ordinal);
    }

    /// <summary>A closed loopback port as Binance's address, so the probe fails at once.</summary>
    private static Dictionary<string, string?> Unreachable(string database)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Dictionary<string, string?>
        {
            ["ConnectionStrings__cryptodb"] = database,
            ["Ingest__Binance__Spot__WebSocketBaseUrl"] = $"ws://127.0.0.1:{port}",
            ["Ingest__Binance__Spot__RestBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Standalone__ExchangeProbeTimeout"] = "00:00:03",
        };
    }

    private static async Task<List<CandleRow>> ReadCandlesAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(CandlesSql, connection);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var rows = new List<CandleRow>();
        while (await reader.ReadAsync(Cancellation))
        {
            rows.Add(new CandleRow(
                reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1),
                string.Join(' ', Enumerable.Range(2, 8).Select(i => reader.GetDecimal(i).ToString(System.Globalization.CultureInfo.InvariantCulture))),
                reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12), reader.GetBoolean(13), reader.GetString(14)));
        }

        return rows;
    }

    private sealed record CandleRow(string Symbol, DateTimeOffset WindowStart, string Prices, long TradeCount, long FirstTradeId, long LastTradeId, bool IsFinal, string Source);
}
