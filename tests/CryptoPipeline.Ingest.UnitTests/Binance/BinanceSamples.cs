using System.Text;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Ingest.UnitTests.Binance;

/// <summary>The real single messages of shared/data/binance/ws-samples and rest, as the exchange sent them.</summary>
internal static class BinanceSamples
{
    private static readonly Lazy<JsonDocument> WebSocket = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(SharedData.Path("binance/ws-samples/binance_ws_real_samples.json"))));

    private static readonly Lazy<JsonDocument> Rest = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(SharedData.Path("binance/rest/binance_rest_real_samples.json"))));

    /// <summary>The raw combined-stream frame number <paramref name="index"/> of a sample group, e.g. <c>spot_trade_combined_2024</c>.</summary>
    public static byte[] Frame(string group, int index = 0) =>
        Encoding.UTF8.GetBytes(WebSocket.Value.RootElement.GetProperty(group).GetProperty("msgs")[index].GetProperty("raw").GetString()!);

    /// <summary>The JSON body of a REST sample, e.g. <c>v1_historicalTrades_ETHBTC_2018-01-08</c>.</summary>
    public static byte[] RestBody(string sample)
    {
        var entry = Rest.Value.RootElement.GetProperty(sample);
        return entry.TryGetProperty("raw", out var raw)
            ? Encoding.UTF8.GetBytes(raw.GetString()!)
            : Encoding.UTF8.GetBytes(entry.GetProperty("response").GetRawText());
    }
}
