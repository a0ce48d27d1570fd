using CryptoPipeline.Testing;

// One PostgreSQL server for the whole run (the ingestion journal); every test works in a database of its own.
[assembly: AssemblyFixture(typeof(PostgresFixture))]
