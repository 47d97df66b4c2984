using Analyzer.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Tests.Storage;

/// <summary>The --db URL: PostgreSQL and SQLite forms, and the ones refused with a one-line reason.</summary>
public sealed class DatabaseUrlTests
{
    private static DatabaseUrl Parse(string url)
    {
        var ok = DatabaseUrl.TryParse(url, out var result, out var error);
        Assert.True(ok, $"'{url}' was refused: {error}");
        Assert.NotNull(result);
        Assert.Null(error);
        return result;
    }

    private static NpgsqlConnectionStringBuilder Postgres(string url)
    {
        var result = Parse(url);
        Assert.Equal(DatabaseKind.Postgres, result.Kind);
        Assert.Null(result.FilePath);
        return new NpgsqlConnectionStringBuilder(result.ConnectionString);
    }

    [Fact]
    public void Postgresql_url_with_every_part()
    {
        var builder = Postgres("postgresql://analyzer:secret@db.internal:6543/analytics");
        Assert.Equal("db.internal", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("analyzer", builder.Username);
        Assert.Equal("secret", builder.Password);
        Assert.Equal("analytics", builder.Database);
    }

    [Fact]
    public void Pooled_postgresql_connections_are_not_reset_unless_the_url_says_so()
    {
        Assert.True(Postgres("postgresql://analyzer@db/analytics").NoResetOnClose);
        Assert.False(Postgres("postgresql://analyzer@db/analytics?No%20Reset%20On%20Close=false").NoResetOnClose);
    }

    [Fact]
    public void Postgres_scheme_is_the_same()
    {
        var builder = Postgres("postgres://analyzer:secret@localhost:5433/analyzer");
        Assert.Equal("localhost", builder.Host);
        Assert.Equal(5433, builder.Port);
        Assert.Equal("analyzer", builder.Username);
        Assert.Equal("secret", builder.Password);
        Assert.Equal("analyzer", builder.Database);
    }

    [Theory]
    [InlineData("postgresql://u:p@localhost/db")]
    [InlineData("postgres://localhost/db")]
    [InlineData("postgresql://u@localhost:5432/db")]
    public void Port_defaults_to_5432(string url) =>
        Assert.Equal(5432, Postgres(url).Port);

    [Fact]
    public void User_without_password()
    {
        var builder = Postgres("postgresql://analyzer@localhost/db");
        Assert.Equal("analyzer", builder.Username);
        Assert.True(string.IsNullOrEmpty(builder.Password));
    }

    [Fact]
    public void No_user_at_all()
    {
        var builder = Postgres("postgresql://localhost/db");
        Assert.True(string.IsNullOrEmpty(builder.Username));
        Assert.True(string.IsNullOrEmpty(builder.Password));
        Assert.Equal("db", builder.Database);
    }

    [Fact]
    public void Url_escaped_user_password_and_database_are_unescaped()
    {
        var builder = Postgres("postgresql://us%40er:p%40ss%3Aw%2Frd%25%23%3F%20x@localhost:5432/my%20db");
        Assert.Equal("us@er", builder.Username);
        Assert.Equal("p@ss:w/rd%#? x", builder.Password);
        Assert.Equal("my db", builder.Database);
    }

    [Fact]
    public void Password_with_unescaped_colon_keeps_everything_after_the_first_colon()
    {
        var builder = Postgres("postgresql://user:a:b@localhost/db");
        Assert.Equal("user", builder.Username);
        Assert.Equal("a:b", builder.Password);
    }

    [Fact]
    public void Ipv6_host()
    {
        var builder = Postgres("postgresql://u:p@[::1]:5433/db");
        Assert.Equal("::1", builder.Host);
        Assert.Equal(5433, builder.Port);
    }

    [Fact]
    public void Query_options_map_to_connection_string_keywords()
    {
        var builder = Postgres("postgresql://u:p@localhost/db?sslmode=disable&application_name=x");
        Assert.Equal(SslMode.Disable, builder.SslMode);
        Assert.Equal("x", builder.ApplicationName);
    }

    [Fact]
    public void Query_option_values_are_unescaped()
    {
        var builder = Postgres("postgresql://u:p@localhost/db?application_name=my%20app&sslmode=require&connect_timeout=7");
        Assert.Equal("my app", builder.ApplicationName);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal(7, builder.Timeout);
    }

    [Fact]
    public void Safe_display_hides_the_password()
    {
        var result = Parse("postgresql://analyzer:hunter2@localhost:5432/db");
        Assert.DoesNotContain("hunter2", result.SafeDisplay, StringComparison.Ordinal);
        Assert.Contains("analyzer", result.SafeDisplay, StringComparison.Ordinal);
        Assert.Contains("localhost", result.SafeDisplay, StringComparison.Ordinal);
    }

    [Fact]
    public void Sqlite_relative_path_is_made_absolute_against_the_working_directory()
    {
        var result = Parse("sqlite:data/analyzer.db");
        var expected = Path.GetFullPath(Path.Combine(Directory.GetCurrentDirectory(), "data", "analyzer.db"));
        Assert.Equal(DatabaseKind.Sqlite, result.Kind);
        Assert.Equal(expected, result.FilePath);
        Assert.True(Path.IsPathRooted(result.FilePath));
        Assert.Equal(expected, new SqliteConnectionStringBuilder(result.ConnectionString).DataSource);
        Assert.Contains(expected, result.SafeDisplay, StringComparison.Ordinal);
    }

    [Fact]
    public void Sqlite_dot_relative_paths()
    {
        Assert.Equal(Path.GetFullPath("analyzer.db"), Parse("sqlite:./analyzer.db").FilePath);
        Assert.Equal(Path.GetFullPath(Path.Combine("..", "analyzer.db")), Parse("sqlite:../analyzer.db").FilePath);
        Assert.Equal(Path.GetFullPath("analyzer.db"), Parse("sqlite:analyzer.db").FilePath);
    }

    [Fact]
    public void Sqlite_triple_slash_is_an_absolute_path()
    {
        var result = Parse("sqlite:///var/lib/analyzer/analyzer.db");
        Assert.Equal(DatabaseKind.Sqlite, result.Kind);
        Assert.Equal("/var/lib/analyzer/analyzer.db", result.FilePath);
        var builder = new SqliteConnectionStringBuilder(result.ConnectionString);
        Assert.Equal("/var/lib/analyzer/analyzer.db", builder.DataSource);
        Assert.True(builder.ForeignKeys);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("mysql://x")]
    [InlineData("mysql://u:p@localhost/db")]
    [InlineData("http://localhost/db")]
    [InlineData("analyzer.db")]
    [InlineData("postgresql://host")]
    [InlineData("postgresql://host/")]
    [InlineData("postgresql://u:p@host:5432")]
    [InlineData("postgresql://host/a/b")]
    [InlineData("postgresql:///db")]
    [InlineData("postgresql://")]
    [InlineData("postgresql://host:notaport/db")]
    [InlineData("postgresql://host/db?foo=bar")]
    [InlineData("postgresql://host/db?sslmode=bogus")]
    [InlineData("postgresql://host/db?connect_timeout=abc")]
    [InlineData("sqlite:")]
    [InlineData("sqlite:   ")]
    [InlineData("sqlite://host/x")]
    [InlineData("sqlite://")]
    [InlineData("sqlite:data.db?mode=ro")]
    public void Bad_urls_are_refused_with_a_one_line_reason(string? url)
    {
        var ok = DatabaseUrl.TryParse(url, out var result, out var error);
        Assert.False(ok, $"'{url}' was accepted as {result}");
        Assert.Null(result);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain('\n', error);
        Assert.DoesNotContain('\r', error);
    }

    [Fact]
    public void Refusal_does_not_echo_the_password()
    {
        var ok = DatabaseUrl.TryParse("postgresql://u:hunter2@host:5432", out _, out var error);
        Assert.False(ok);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }
}
