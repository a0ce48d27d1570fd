using CryptoPipeline.Testing;

// One PostgreSQL server for the run; every test class takes fresh databases from it.
[assembly: AssemblyFixture(typeof(PostgresFixture))]
