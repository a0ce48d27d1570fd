using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using CryptoPipeline.Monitor.Pipeline;
using CryptoPipeline.Monitor.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Monitor.Endpoints;

/// <summary>
/// A job, its schedule and its runs. <c>NextRunAt</c>: when this monitor next runs it on schedule (null while disabled).
/// <c>LastRun</c>: the latest finished run on any monitor; <c>Running</c>: the run under way, if any.
/// </summary>
public sealed record JobView(
    string Name,
    string Description,
    string Schedule,
    string ScheduleKind,
    bool Enabled,
    string CatchUp,
    TimeSpan Timeout,
    DateTimeOffset? NextRunAt,
    JobRunRecord? LastRun,
    JobRunRecord? Running);

public sealed record RunsPage(int Page, int PageSize, long Total, IReadOnlyList<JobRunRecord> Runs);

public sealed record AlertsPage(int Page, int PageSize, long Total, IReadOnlyList<AlertRecord> Alerts);

public sealed record MismatchesPage(long RunId, int Page, int PageSize, long Total, IReadOnlyList<MismatchRecord> Mismatches);

/// <summary>A run started by <c>POST /jobs/{name}/trigger</c>; follow it at <c>Location</c>.</summary>
public sealed record TriggeredRun(long RunId, string Job, string Status);

/// <summary>
/// The pipeline at a glance: the latest pipeline check (any monitor's; null before the first), the open alerts and
/// each job's latest run.
/// </summary>
public sealed record MonitorStatus(DateTimeOffset Now, PipelineReport? Pipeline, IReadOnlyList<AlertRecord> OpenAlerts, IReadOnlyList<JobView> Jobs);

/// <summary>The monitor's HTTP API under <see cref="Microsoft.Extensions.Hosting.MonitorExtensions.ApiPrefix"/>.</summary>
internal static class MonitorApi
{
    public const string ApiKeyHeader = "X-Api-Key";
    private const int StatusAlerts = 100;

    public static RouteGroupBuilder MapMonitorEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/status", GetStatus)
            .WithName("GetMonitorStatus")
            .WithSummary("The latest pipeline check (processor, consumer lag per partition, freshness per instrument, database), open alerts and jobs");
        api.MapGet("/jobs", GetJobs)
            .WithName("GetMonitorJobs")
            .WithSummary("The jobs with their schedules, next run on this monitor, latest run and the run under way");
        api.MapGet("/jobs/{name}", GetJob)
            .WithName("GetMonitorJob")
            .WithSummary("One job")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{name}/trigger", TriggerJob)
            .WithName("TriggerMonitorJob")
            .WithSummary("Starts a run of the job now")
            .WithDescription(
                $"Needs the header {ApiKeyHeader} with the key configured as Monitor:ApiKey; without a configured key triggering is disabled (403). " +
                "Answers 202 with the run's id and its URL in Location; 409 while a run of the job is under way on any monitor.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/runs", GetRuns)
            .WithName("GetMonitorRuns")
            .WithSummary("Job runs, newest first, paged")
            .WithDescription($"page from 1 to {MonitorParameters.MaxPage}, pageSize from 1 to {MonitorParameters.MaxPageSize} (default {MonitorParameters.DefaultPageSize}).")
            .ProducesValidationProblem();
        api.MapGet("/runs/{id:long}", GetRun)
            .WithName("GetMonitorRun")
            .WithSummary("One job run, with its message and metrics")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id:long}/mismatches", GetMismatches)
            .WithName("GetMonitorRunMismatches")
            .WithSummary("The differences a reconciliation run found between our candles and the exchange's klines, paged")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem();
        api.MapGet("/alerts", GetAlerts)
            .WithName("GetMonitorAlerts")
            .WithSummary("Alerts, newest first, paged: open (default), resolved or all, optionally of one rule")
            .ProducesValidationProblem();
        return api;
    }

    public static async Task<Ok<MonitorStatus>> GetStatus(
        HttpContext context, PipelineStatusStore pipeline, MonitorQueries queries, JobCatalog catalog, JobScheduler scheduler, JobRunStore runs, TimeProvider time)
    {
        var report = await pipeline.LoadAsync(context.RequestAborted);
        var (alerts, _) = await queries.AlertsAsync("open", null, 1, StatusAlerts, context.RequestAborted);
        var jobs = await ViewsAsync(catalog.Jobs, scheduler, runs, context.RequestAborted);
        return TypedResults.Ok(new MonitorStatus(time.GetUtcNow(), report, alerts, jobs));
    }

    public static async Task<Ok<List<JobView>>> GetJobs(HttpContext context, JobCatalog catalog, JobScheduler scheduler, JobRunStore runs) =>
        TypedResults.Ok(await ViewsAsync(catalog.Jobs, scheduler, runs, context.RequestAborted));

    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetJob(
        HttpContext context, string name, JobCatalog catalog, JobScheduler scheduler, JobRunStore runs) =>
        catalog.Find(name) is { } job
            ? TypedResults.Ok((await ViewsAsync([job], scheduler, runs, context.RequestAborted))[0])
            : UnknownJob(name, catalog);

    public static async Task<Results<Accepted<TriggeredRun>, ProblemHttpResult>> TriggerJob(
        HttpContext context,
        string name,
        [FromHeader(Name = ApiKeyHeader)] string? apiKey,
        IOptions<MonitorOptions> options,
        JobCatalog catalog,
        JobScheduler scheduler,
        JobRunStore runs)
    {
        if (!options.Value.TriggerEnabled)
        {
            return Problem(
                StatusCodes.Status403Forbidden,
                "Triggering is disabled",
                $"No API key is configured (Monitor:ApiKey), so jobs cannot be triggered over HTTP. Set Monitor:ApiKey (at least {MonitorOptions.MinApiKeyLength} characters) to enable it.");
        }

        if (!KeyMatches(options.Value.ApiKey!, apiKey))
        {
            context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{ApiKeyHeader}\"";
            return Problem(
                StatusCodes.Status401Unauthorized,
                apiKey is null ? "API key missing" : "API key invalid",
                $"Send the key configured as Monitor:ApiKey in the {ApiKeyHeader} header.");
        }

        if (catalog.Find(name) is not { } job)
        {
            return UnknownJob(name, catalog);
        }

        var start = await scheduler.TriggerAsync(job);
        if (start.Kind != RunStartKind.Started)
        {
            var running = (await runs.LatestAsync([job.Name], context.RequestAborted))[job.Name].Running;
            return Problem(
                StatusCodes.Status409Conflict,
                "Job already running",
                $"A run of {job.Name} is under way" +
                (running is null ? "" : $" (run {running.Id}, started {running.StartedAt:O} on {running.Host})") + "; try again when it has finished.");
        }

        return TypedResults.Accepted($"{Microsoft.Extensions.Hosting.MonitorExtensions.ApiPrefix}/runs/{start.RunId}", new TriggeredRun(start.RunId, job.Name, RunStatus.Running));
    }

    public static async Task<Ok<RunsPage>> GetRuns(
        HttpContext context,
        MonitorQueries queries,
        [JobName] string? job,
        [RegularExpression(MonitorParameters.StatusPattern, ErrorMessage = MonitorParameters.StatusMessage)] string? status,
        [Range(1, MonitorParameters.MaxPage)] int page = 1,
        [Range(1, MonitorParameters.MaxPageSize)] int pageSize = MonitorParameters.DefaultPageSize)
    {
        var canonical = JobDeclarations.All.FirstOrDefault(j => j.Name.Equals(job, StringComparison.OrdinalIgnoreCase))?.Name;
        var (runs, total) = await queries.RunsAsync(canonical, status, page, pageSize, context.RequestAborted);
        return TypedResults.Ok(new RunsPage(page, pageSize, total, runs));
    }

    public static async Task<Results<Ok<JobRunRecord>, ProblemHttpResult>> GetRun(HttpContext context, long id, JobRunStore runs) =>
        await runs.GetAsync(id, context.RequestAborted) is { } run ? TypedResults.Ok(run) : RunNotFound(id);

    public static async Task<Results<Ok<MismatchesPage>, ProblemHttpResult>> GetMismatches(
        HttpContext context,
        long id,
        JobRunStore runs,
        MonitorQueries queries,
        [Range(1, MonitorParameters.MaxPage)] int page = 1,
        [Range(1, MonitorParameters.MaxPageSize)] int pageSize = MonitorParameters.DefaultPageSize)
    {
        if (await runs.GetAsync(id, context.RequestAborted) is null)
        {
            return RunNotFound(id);
        }

        var (mismatches, total) = await queries.MismatchesAsync(id, page, pageSize, context.RequestAborted);
        return TypedResults.Ok(new MismatchesPage(id, page, pageSize, total, mismatches));
    }

    public static async Task<Ok<AlertsPage>> GetAlerts(
        HttpContext context,
        MonitorQueries queries,
        [RegularExpression(MonitorParameters.StatePattern, ErrorMessage = MonitorParameters.StateMessage)] string state = "open",
        [AlertRule] string? rule = null,
        [Range(1, MonitorParameters.MaxPage)] int page = 1,
        [Range(1, MonitorParameters.MaxPageSize)] int pageSize = MonitorParameters.DefaultPageSize)
    {
        var (alerts, total) = await queries.AlertsAsync(state == "all" ? null : state, rule, page, pageSize, context.RequestAborted);
        return TypedResults.Ok(new AlertsPage(page, pageSize, total, alerts));
    }

    /// <summary>Compares hashes in constant time, so neither the key nor its length leaks through timing.</summary>
    internal static bool KeyMatches(string configured, string? given) =>
        given is not null
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(configured.Trim())), SHA256.HashData(Encoding.UTF8.GetBytes(given)));

    private static async Task<List<JobView>> ViewsAsync(IEnumerable<ScheduledJob> jobs, JobScheduler scheduler, JobRunStore runs, CancellationToken cancellationToken)
    {
        var list = jobs.ToList();
        var latest = await runs.LatestAsync(list.Select(j => j.Name), cancellationToken);
        return
        [
            .. list.Select(j => new JobView(
                j.Name,
                j.Declaration.Description,
                j.Schedule.Text,
                j.Schedule.Kind,
                j.Enabled,
                j.CatchUp.ToString(),
                j.Timeout,
                scheduler.NextRunAt(j.Name),
                latest[j.Name].Last,
                latest[j.Name].Running)),
        ];
    }

    private static ProblemHttpResult UnknownJob(string name, JobCatalog catalog) => Problem(
        StatusCodes.Status404NotFound, "Unknown job", $"There is no job '{name}'; the jobs are {string.Join(", ", catalog.Names)}.");

    private static ProblemHttpResult RunNotFound(long id) => Problem(StatusCodes.Status404NotFound, "Unknown run", $"There is no job run {id}.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title, Detail = detail });
}
