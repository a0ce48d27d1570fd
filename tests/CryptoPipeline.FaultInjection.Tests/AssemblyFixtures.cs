using CryptoPipeline.FaultInjection.Tests.Infrastructure;
using CryptoPipeline.Testing;

// One PostgreSQL server for the whole run; every scenario works in a database of its own.
[assembly: AssemblyFixture(typeof(PostgresFixture))]

// Prints where the report table is once every scenario has run.
[assembly: AssemblyFixture(typeof(FaultReport.Printer))]
