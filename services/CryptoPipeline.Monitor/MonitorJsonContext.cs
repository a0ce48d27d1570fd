using System.Text.Json;
using System.Text.Json.Serialization;
using CryptoPipeline.Monitor.Alerts;
using CryptoPipeline.Monitor.Endpoints;
using CryptoPipeline.Monitor.Pipeline;
using CryptoPipeline.Monitor.Scheduling;

namespace CryptoPipeline.Monitor;

/// <summary>
/// Source-generated serialization of the monitor's API responses, the stored pipeline report and the webhook payload,
/// with ASP.NET Core's web defaults (camelCase names).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MonitorStatus))]
[JsonSerializable(typeof(List<JobView>))]
[JsonSerializable(typeof(JobView))]
[JsonSerializable(typeof(JobRunRecord))]
[JsonSerializable(typeof(RunsPage))]
[JsonSerializable(typeof(AlertsPage))]
[JsonSerializable(typeof(MismatchesPage))]
[JsonSerializable(typeof(TriggeredRun))]
[JsonSerializable(typeof(PipelineReport))]
[JsonSerializable(typeof(AlertWebhookPayload))]
internal sealed partial class MonitorJsonContext : JsonSerializerContext;
