var builder = DistributedApplication.CreateBuilder(args);

// Secrets come from the AppHost's configuration (user secrets: Parameters:postgres-password, Parameters:monitor-api-key);
// the dashboard asks for a missing one, azd asks for both and keeps them in its environment, never in a file here.
var postgresPassword = builder.AddParameter("postgres-password", secret: true);
var monitorApiKey = builder.AddParameter("monitor-api-key", secret: true);

var kafka = builder.AddKafka("kafka")
    .WithKafkaUI();

// POSTGRES_DB makes the server's first start create cryptodb itself, so init files and tools land in it; the services
// still apply their migrations at start-up, which is what reaches Azure.
var postgres = builder.AddPostgres("postgres", password: postgresPassword)
    .WithEnvironment("POSTGRES_DB", "cryptodb")
    .WithPgAdmin();

// Data volumes for local runs. Azure Container Apps would mount them from Azure Files, where PostgreSQL cannot
// initialise its data directory (dotnet/aspire#6671) and Kafka's log directory does not belong either: in Azure use
// managed services (Azure Database for PostgreSQL, a hosted Kafka) for data that must survive a restart.
if (builder.ExecutionContext.IsRunMode)
{
    kafka.WithDataVolume();
    postgres.WithDataVolume();
}

var cryptodb = postgres.AddDatabase("cryptodb");

// The services have no launch profiles: each gets one HTTP endpoint (ASPNETCORE_URLS locally, HTTP_PORTS in a
// container), serves /health there in every environment and exports telemetry to the dashboard over OTLP.
builder.AddProject<Projects.CryptoPipeline_Ingest>("ingest", launchProfileName: null)
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(cryptodb).WaitFor(cryptodb);

// Replicas share one Kafka consumer group and split the partitions.
builder.AddProject<Projects.CryptoPipeline_Processor>("processor", launchProfileName: null)
    .WithReplicas(2)
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(cryptodb).WaitFor(cryptodb);

builder.AddProject<Projects.CryptoPipeline_Monitor>("monitor", launchProfileName: null)
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(cryptodb).WaitFor(cryptodb)
    .WithEnvironment("Monitor__ApiKey", monitorApiKey);

// The Api serves the REST API and the dashboard: the one endpoint reachable from outside.
builder.AddProject<Projects.CryptoPipeline_Api>("api", launchProfileName: null)
    .WithHttpEndpoint()
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithReference(cryptodb).WaitFor(cryptodb);

builder.Build().Run();
