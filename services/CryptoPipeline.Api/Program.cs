using CryptoPipeline.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapApi();
app.Run();
