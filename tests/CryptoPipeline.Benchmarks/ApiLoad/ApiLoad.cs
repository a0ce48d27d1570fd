using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CryptoPipeline.EmbeddedPostgres;
using CryptoPipeline.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CryptoPipeline.Benchmarks.ApiLoad;

/// <summary>
/// Latency and throughput of the Api under load from a second process (Debian's wrk): a private PostgreSQL with one day
/// of 1-minute candles for three symbols ending now, the Api on Kestrel in this process, and wrk against a handful of
/// endpoints, one after the other. wrk and the server share the machine's CPUs.
/// </summary>
internal static partial class ApiLoad
{
    private const string Usage = """
        Usage: api-load [--seconds N] [--connections N] [--threads N]
          --seconds N      duration of each endpoint's run (default 10)
          --connections N  open connections wrk keeps (default 16)
          --threads N      wrk threads (default 2)
        Needs wrk (apt-get install wrk) and PostgreSQL's server binaries (apt-get install postgresql).
        """;

    // One day of minutes ending with the current one, for BTCUSDT, ETHUSDT and SOLUSDT, like a live day.
    private const string Seed = """
        INSERT INTO trades_1min_agg (exchange, symbol, window_start, window_end, open, high, low, close, volume, quote_volume,
            taker_buy_volume, taker_buy_quote_volume, trade_count, first_trade_id, last_trade_id, is_final, first_trade_time,
            last_trade_time, price_sum)
        SELECT 'binance', s.symbol, t, t + interval '1 minute', o, greatest(o, c) + s.step, least(o, c) - s.step, c, v, round(v * (o + c) / 2, 10),
               round(v / 3, 8), round(v * (o + c) / 6, 10), n, i * 1000, i * 1000 + n - 1, t < date_trunc('minute', now()) - interval '1 minute',
               t + interval '1 second', t + interval '59 seconds', (o + c) / 2 * n
        FROM (VALUES ('BTCUSDT', 61000.0, 0.01), ('ETHUSDT', 2600.0, 0.001), ('SOLUSDT', 150.0, 0.0001)) s(symbol, base, step)
        CROSS JOIN LATERAL (
            SELECT t, i,
                   round((s.base * (1 + 0.01 * sin(i / 90.0)))::numeric, 2) AS o,
                   round((s.base * (1 + 0.01 * sin((i + 1) / 90.0) + 0.0005 * sin(i * 7.0)))::numeric, 2) AS c,
                   round((1 + abs(sin(i / 7.0)) * 20)::numeric, 8) AS v,
                   (50 + (i * 37) % 400)::bigint AS n
            FROM generate_series(date_trunc('minute', now()) - interval '1439 minutes', date_trunc('minute', now()), interval '1 minute')
                 WITH ORDINALITY g(t, i)) minutes;
        INSERT INTO current_prices (exchange, symbol, last_price, bid_price, ask_price, last_trade_time, quote_time)
        VALUES ('binance', 'BTCUSDT', 61000.5, 61000.4, 61000.6, now(), now()),
               ('binance', 'ETHUSDT', 2600.5, 2600.4, 2600.6, now(), now()),
               ('binance', 'SOLUSDT', 150.05, 150.04, 150.06, now(), now());
        """;

    public static int Run(string[] args)
    {
        if (!TryParse(args, out var settings, out var problem))
        {
            (problem is null ? Console.Out : Console.Error).WriteLine(problem is null ? Usage : $"{problem}\n{Usage}");
            return problem is null ? 0 : 2;
        }

        return RunAsync(settings).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(Settings settings)
    {
        if (!File.Exists("/usr/bin/wrk"))
        {
            Console.Error.WriteLine("api-load needs wrk: apt-get install wrk");
            return 2;
        }

        await using var postgres = await PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions { Fsync = false });
        await new CryptoPipeline.Database.Migrations.DatabaseMigrator().MigrateAsync(postgres.ConnectionString);
        await using (var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString))
        {
            await using var seed = dataSource.CreateCommand(Seed);
            await seed.ExecuteNonQueryAsync();
            await using var analyze = dataSource.CreateCommand("ANALYZE");
            await analyze.ExecuteNonQueryAsync();
        }

        await using var api = await StartApiAsync(postgres.ConnectionString);
        var now = DateTimeOffset.UtcNow;
        var dayEnd = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(-10);
        string[] paths =
        [
            "/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=1440",
            $"/api/v1/candles?symbol=BTCUSDT&interval=1m&from={dayEnd.AddDays(-1):yyyy-MM-ddTHH:mm:ssZ}&to={dayEnd:yyyy-MM-ddTHH:mm:ssZ}",
            "/api/v1/candles?symbol=BTCUSDT&interval=1h&limit=24",
            "/transactions_count_last_6_hours",
            "/current_price?symbol=BTCUSDT",
        ];

        Console.WriteLine($"wrk -t{settings.Threads} -c{settings.Connections} -d{settings.Seconds}s --latency, against {api.BaseAddress} " +
            $"({Environment.ProcessorCount} CPUs shared by wrk, the Api and PostgreSQL)");
        Console.WriteLine($"{"endpoint",-100} {"req/s",10} {"p50",10} {"p99",10}");
        foreach (var path in paths)
        {
            using var warmUp = await api.Client.GetAsync(path);
            warmUp.EnsureSuccessStatusCode();
            var result = Wrk(settings, new Uri(api.BaseAddress, path));
            Console.WriteLine($"{path,-100} {result.RequestsPerSecond,10:0} {result.P50,10} {result.P99,10}");
        }

        return 0;
    }

    private static (double RequestsPerSecond, string P50, string P99) Wrk(Settings settings, Uri url)
    {
        var start = new ProcessStartInfo("/usr/bin/wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { $"-t{settings.Threads}", $"-c{settings.Connections}", $"-d{settings.Seconds}s", "--latency", url.ToString() },
        };
        using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
        var output = wrk.StandardOutput.ReadToEnd();
        wrk.WaitForExit();
        if (wrk.ExitCode != 0 || Regex.IsMatch(output, @"Non-2xx or 3xx responses"))
        {
            throw new InvalidOperationException($"wrk against {url} failed or saw error responses:\n{output}{wrk.StandardError.ReadToEnd()}");
        }

        var rate = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        return (rate, Percentile(output, "50"), Percentile(output, "99"));
    }

    private static string Percentile(string output, string percent) =>
        Regex.Match(output, $@"^\s+{percent}%\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;

    private static async Task<ApiHost> StartApiAsync(string connectionString)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:cryptodb"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
            // The load comes from one address; the per-client limit would otherwise answer 429.
            ["Api:RateLimit:PermitLimit"] = "1000000",
        });
        builder.AddServiceDefaults();
        builder.AddApi();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new ApiHost(app, new Uri(address));
    }

    private static bool TryParse(string[] args, out Settings settings, out string? problem)
    {
        settings = new Settings();
        problem = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--help" or "-h")
            {
                return false;
            }

            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                problem = $"{args[i]} needs a positive whole number.";
                return false;
            }

            switch (args[i++])
            {
                case "--seconds":
                    settings = settings with { Seconds = value };
                    break;
                case "--connections":
                    settings = settings with { Connections = value };
                    break;
                case "--threads":
                    settings = settings with { Threads = value };
                    break;
                default:
                    problem = $"Unknown option {args[i - 1]}.";
                    return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    private sealed record Settings(int Seconds = 10, int Connections = 16, int Threads = 2);

    private sealed class ApiHost(WebApplication app, Uri baseAddress) : IAsyncDisposable
    {
        public Uri BaseAddress { get; } = baseAddress;

        public HttpClient Client { get; } = new() { BaseAddress = baseAddress };

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
