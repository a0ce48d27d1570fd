namespace CryptoPipeline.Contracts.UnitTests;

public sealed class DataSourceNamesTests
{
    [Theory]
    [InlineData(DataSource.Live, "live")]
    [InlineData(DataSource.Replay, "replay")]
    [InlineData(DataSource.Simulated, "simulated")]
    [InlineData(DataSource.Backfill, "backfill")]
    public void Every_source_has_one_text_that_parses_back(DataSource source, string text)
    {
        Assert.Equal(text, DataSourceNames.ToText(source));
        Assert.Equal(source, DataSourceNames.Parse(text));
    }

    [Theory]
    [InlineData("Live")]
    [InlineData("")]
    [InlineData("synthetic")]
    public void Unknown_text_fails_naming_it_and_the_accepted_ones(string text)
    {
        var error = Assert.Throws<FormatException>(() => DataSourceNames.Parse(text));
        Assert.Equal($"'{text}' is not a data source: use one of \"live\", \"replay\", \"simulated\", \"backfill\".", error.Message);
    }

    [Fact]
    public void A_value_outside_the_enum_has_no_text() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSourceNames.ToText((DataSource)42));
}
