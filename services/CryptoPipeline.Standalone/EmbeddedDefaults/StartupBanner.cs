using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using CryptoPipeline.Standalone.Sources;

namespace CryptoPipeline.Standalone.EmbeddedDefaults;

/// <summary>Prints what runs where once the host has started, so a person knows what to open.</summary>
internal sealed class StartupBanner(
    IHostApplicationLifetime lifetime,
    IServer server,
    IConfiguration configuration,
    EmbeddedDefaults defaults,
    SourceChoice source) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => Console.Out.Write(Render()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private string Render()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var web = (addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "").TrimEnd('/');
        var kafka = configuration.GetConnectionString("kafka") ?? "";
        var postgres = configuration.GetConnectionString("cryptodb") ?? "";
        var text = new StringBuilder()
            .AppendLine()
            .AppendLine("CryptoPipeline Standalone is running")
            .AppendLine($"  source:      {source.Description}")
            .AppendLine($"  dashboard:   {web}/")
            .AppendLine($"  api:         {web}/api/v1  (OpenAPI: {web}/openapi/v1.json)")
            .AppendLine($"  monitor:     {web}/api/v1/monitor/status")
            .AppendLine($"  health:      {web}/health  {web}/alive")
            .AppendLine($"  listening:   {string.Join(", ", addresses)}")
            .AppendLine($"  kafka:       {kafka}  ({(defaults.Kafka is null ? "configured" : "embedded, in memory")})")
            .AppendLine($"  postgresql:  {EmbeddedDefaults.Describe(postgres)}  ({(defaults.Postgres is null ? "configured" : $"private, data in {defaults.Postgres.DataDirectory}")})");
        if (defaults.Kafka is not null)
        {
            text.AppendLine("  note:        the embedded Kafka cluster is a test and development broker: it lives in memory and keeps")
                .AppendLine("               at most 100,000 messages or 5 MB per partition. Set ConnectionStrings__kafka to use a real Kafka.");
        }

        return text.AppendLine("Press Ctrl+C to stop.").ToString();
    }
}
