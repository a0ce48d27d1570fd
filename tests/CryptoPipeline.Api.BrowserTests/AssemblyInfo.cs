using CryptoPipeline.Api.BrowserTests;
using CryptoPipeline.Testing;

[assembly: AssemblyFixture(typeof(PostgresFixture))]
[assembly: AssemblyFixture(typeof(ChromiumFixture))]
