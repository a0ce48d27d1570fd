using CryptoPipeline.Testing;

// One PostgreSQL server for the whole run; every test works in a database of its own.
[assembly: AssemblyFixture(typeof(PostgresFixture))]
