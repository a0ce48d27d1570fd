using CryptoPipeline.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngest();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
