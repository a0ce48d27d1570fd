using Microsoft.Extensions.FileProviders;

namespace CryptoPipeline.Api;

/// <summary>
/// The dashboard (wwwroot/ and the chart library npm installed at build time) is embedded in this assembly and served
/// from it, so it does not depend on the host's content root or web root: the Api's own host and one that composes
/// it (Standalone) serve the same files. Responses carry an ETag and are revalidated on every load.
/// </summary>
internal static class DashboardFiles
{
    public static IFileProvider Provider { get; } = new EmbeddedFileProvider(typeof(DashboardFiles).Assembly, "dashboard");

    public static IApplicationBuilder UseDashboard(this IApplicationBuilder app)
    {
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = Provider, DefaultFileNames = ["index.html"] });
        return app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Provider,
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
    }
}
