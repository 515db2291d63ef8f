using FluentAssertions;
using OrderOutbox.Dispatching;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

public sealed class HeaderValueTests
{
    [Theory]
    [InlineData("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", true)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true)]
    [InlineData("a = b ,\tc=d", true)]
    [InlineData("~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", true)]
    [InlineData("", true)]
    [InlineData("a\r\nX-Injected: 1", false)]
    [InlineData("a\rb", false)]
    [InlineData("a\nb", false)]
    [InlineData("a\0", false)]
    [InlineData("\u0007a", false)]
    [InlineData("a\u007f", false)]
    [InlineData("t\u00fc", false)]
    [InlineData("\u0085", false)]
    [InlineData("\u2028", false)]
    public void Only_visible_ASCII_space_and_tab_are_sendable(string value, bool sendable)
        => HeaderValue.IsSendable(value).Should().Be(sendable);
}
