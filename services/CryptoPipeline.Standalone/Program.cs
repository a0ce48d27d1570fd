using CryptoPipeline.Kafka;
using CryptoPipeline.ServiceDefaults;
using CryptoPipeline.Standalone.EmbeddedDefaults;

var builder = WebApplication.CreateBuilder(args);
await builder.AddEmbeddedDefaultsAsync();
builder.AddServiceDefaults();
builder.AddCryptoDatabase();
builder.AddKafkaClients();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
