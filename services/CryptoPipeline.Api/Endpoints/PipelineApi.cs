using Microsoft.AspNetCore.Http.HttpResults;

namespace CryptoPipeline.Api;

/// <summary><c>GET /api/v1/pipeline</c>: freshness, consumer progress, jobs, alerts, gaps and whether the data is live.</summary>
internal static class PipelineApi
{
    public static RouteGroupBuilder MapPipelineApi(this RouteGroupBuilder api)
    {
        api.MapGet("/pipeline", GetPipelineStatus)
            .WithName("GetPipelineStatus")
            .WithSummary("Freshness per instrument, Kafka consumer progress, recent monitor jobs, open alerts and ingestion gaps, and the data's source")
            .WithDescription(
                $"mode is live, replay, simulated or backfill when all instruments written within {PipelineQueries.ActiveWindowMinutes} minutes " +
                "of the latest write share that source, mixed when they differ, none without data. " +
                $"At most {PipelineQueries.RecentJobs} jobs and {PipelineQueries.MaxListed} alerts and gaps are listed.");
        return api;
    }

    public static async Task<Ok<PipelineStatus>> GetPipelineStatus(HttpContext context, PipelineQueries pipeline) =>
        TypedResults.Ok(await pipeline.ReadAsync(context.RequestAborted));
}
