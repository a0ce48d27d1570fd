using CryptoPipeline.Monitor.Endpoints;

namespace CryptoPipeline.Monitor.UnitTests;

public sealed class ApiKeyTests
{
    [Theory]
    [InlineData("0123456789abcdef", "0123456789abcdef", true)]
    [InlineData(" 0123456789abcdef ", "0123456789abcdef", true)]
    [InlineData("0123456789abcdef", "0123456789abcdeF", false)]
    [InlineData("0123456789abcdef", "0123456789abcde", false)]
    [InlineData("0123456789abcdef", "", false)]
    [InlineData("0123456789abcdef", null, false)]
    public void Only_the_configured_key_matches(string configured, string? given, bool matches)
    {
        Assert.Equal(matches, MonitorApi.KeyMatches(configured, given));
    }
}
