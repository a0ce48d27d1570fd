using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CryptoPipeline.Api.FunctionalTests;
using CryptoPipeline.Testing;
using Microsoft.Playwright;

namespace CryptoPipeline.Api.BrowserTests;

/// <summary>
/// The dashboard in headless Chromium against a running Api and a replayed day of BTCUSDT and ETHUSDT on 2024-08-08
/// (the kind of data a machine without exchange access shows).
/// </summary>
public sealed class DashboardTests(PostgresFixture postgres, ChromiumFixture chromium) : IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2024, 8, 8, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    // The chart loads the 500 minutes up to the latest; minutes without trades have no candle.
    private static readonly int CandlesShown = Replayed("BTCUSDT", seed: 7).Count(r => r.Start >= Day.AddMinutes(1440 - 500));

    private string _database = null!;
    private ApiHost _api = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        await MarketData.InsertAsync(_database, Replayed("BTCUSDT", seed: 7).Concat(Replayed("ETHUSDT", seed: 11)), TestContext.Current.CancellationToken);
        await MarketData.UpsertPriceAsync(_database, "binance", "BTCUSDT", 61012.5m, 61012.4m, 61012.6m, "replay", TestContext.Current.CancellationToken);
        await MarketData.UpsertPriceAsync(_database, "binance", "ETHUSDT", 2601.2m, 2601.1m, 2601.3m, "replay", TestContext.Current.CancellationToken);
        _api = await ApiHost.StartAsync(_database, [new("Api:Stream:PollInterval", "00:00:00.100")], cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task The_chart_draws_candles_the_tickers_show_bid_and_ask_and_a_banner_says_the_data_is_replayed()
    {
        var page = await OpenAsync(1400, 1000);

        var chart = page.Locator("#chart");
        Assert.Equal(CandlesShown.ToString(CultureInfo.InvariantCulture), await chart.GetAttributeAsync("data-candles"));
        Assert.Equal("2024-08-08T23:59:00+00:00", await chart.GetAttributeAsync("data-last-time"));
        Assert.True(await CandlePixelsAsync(page) > 500, "the chart's canvas shows no candle colours");
        await Assertions.Expect(page.Locator("#data-banner")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#data-banner")).ToContainTextAsync("REPLAYED DATA");
        await Assertions.Expect(page.Locator("#tickers tbody tr").First).ToContainTextAsync("61,012.4");
        await Assertions.Expect(page.Locator("#stats6-trades .bar")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#freshness tbody tr")).ToHaveCountAsync(2);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("dashboard-desktop.png"), FullPage = true });
    }

    [Fact]
    public async Task A_candle_committed_after_the_page_loaded_appears_on_the_chart_without_a_reload()
    {
        var page = await OpenAsync(1400, 1000);
        await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = (float)Wait.TotalMilliseconds });

        await MarketData.InsertAsync(_database, [new MinuteRow("binance", "BTCUSDT", Day.AddDays(1), 61000m, 61100m, 60900m, 61050.5m, 3m, 183000m, 42, Source: "replay")],
            TestContext.Current.CancellationToken);

        var chart = page.Locator("#chart");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-last-time", "2024-08-09T00:00:00+00:00", new() { Timeout = (float)Wait.TotalMilliseconds });
        Assert.Equal((CandlesShown + 1).ToString(CultureInfo.InvariantCulture), await chart.GetAttributeAsync("data-candles"));
        Assert.Equal("61050.5", await chart.GetAttributeAsync("data-last-close"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("dashboard-live-update.png") });
    }

    [Fact]
    public async Task The_csv_link_downloads_the_candles_as_utf8_with_bom_under_a_timestamped_name()
    {
        var page = await OpenAsync(1400, 1000);

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#candles-csv").ClickAsync());
        var path = await download.PathAsync();
        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);

        Assert.Matches(new Regex(@"^candles_binance_BTCUSDT_1m_\d{8}T\d{6}Z\.csv$"), download.SuggestedFilename);
        Assert.Equal<byte>([0xEF, 0xBB, 0xBF], bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("open_time,close_time,open,high,low,close,volume", lines[0], StringComparison.Ordinal);
        Assert.Equal(CandlesShown + 1, lines.Length);
    }

    [Fact]
    public async Task On_a_phone_sized_screen_the_page_fits_the_width_and_still_draws_the_chart()
    {
        var page = await OpenAsync(390, 844);

        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than the screen");
        Assert.True(await CandlePixelsAsync(page) > 200, "the chart's canvas shows no candle colours");
        await Assertions.Expect(page.Locator("#data-banner")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("dashboard-phone.png"), FullPage = true });
    }

    private static List<MinuteRow> Replayed(string symbol, int seed) =>
        [.. MarketData.Series("binance", symbol, Day, minutes: 1440, seed).Select(r => r with { Source = "replay" })];

    private static string Screenshot(string name) => Path.Combine(ChromiumFixture.ScreenshotDirectory, name);

    // Pixels of the chart's canvases in the candle colours (#26a69a up, #ef5350 down): the candles were drawn.
    private static Task<int> CandlePixelsAsync(IPage page) => page.EvaluateAsync<int>(
        """
        () => {
          let count = 0;
          for (const canvas of document.querySelectorAll('#chart canvas')) {
            if (!canvas.width || !canvas.height) continue;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < data.length; i += 4) {
              const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
              if ((Math.abs(r - 38) < 6 && Math.abs(g - 166) < 6 && Math.abs(b - 154) < 6) ||
                  (Math.abs(r - 239) < 6 && Math.abs(g - 83) < 6 && Math.abs(b - 80) < 6)) count++;
            }
          }
          return count;
        }
        """);

    private async Task<IPage> OpenAsync(int width, int height)
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)Wait.TotalMilliseconds);
        await page.GotoAsync(_api.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("#chart")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = (float)Wait.TotalMilliseconds });
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        return page;
    }
}
