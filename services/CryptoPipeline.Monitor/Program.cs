using CryptoPipeline.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMonitor();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapMonitorApi();
app.Run();
