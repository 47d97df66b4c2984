using System.Security.Cryptography;
using System.Text;
using Analyzer.Auth;
using Analyzer.Imports;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analyzer.Tests.Auth;

/// <summary><c>analyzer token issue|revoke</c>, the auth options of <c>serve</c>, and the pieces that need no service.</summary>
public sealed class TokenCommandTests
{
    [Fact]
    public async Task Token_issue_prints_a_token_that_validates_with_its_scopes_expiry_subject_and_id()
    {
        string[] args =
        [
            "token", "issue", "--scope", Scopes.Write, "--scope", Scopes.Read, "--ttl", "1h30m", "--subject", "ci",
            "--auth-secret-file", TestKeys.SecretFile, "--auth-issuer", TestKeys.Issuer, "--auth-audience", TestKeys.Audience,
        ];
        var (exitCode, output, error) = await Cli.RunAsync(args);

        Assert.True(exitCode == 0, error);
        var token = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(TestKeys.Secret),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidIssuer = TestKeys.Issuer,
            ValidAudience = TestKeys.Audience,
        });
        Assert.True(result.IsValid, result.Exception?.ToString());
        var jwt = (JsonWebToken)result.SecurityToken;
        Assert.Equal($"{Scopes.Write} {Scopes.Read}", jwt.GetClaim("scope").Value);
        Assert.Equal("ci", jwt.Subject);
        Assert.Equal(TimeSpan.FromMinutes(90), jwt.ValidTo - jwt.IssuedAt);
        Assert.Equal(jwt.IssuedAt, jwt.ValidFrom);
        Assert.Equal(22, jwt.Id.Length); // 16 random bytes, base64url
        Assert.Contains(jwt.Id, error, StringComparison.Ordinal);

        var (_, second, _) = await Cli.RunAsync(args);
        Assert.NotEqual(jwt.Id, new JsonWebToken(second.Trim()).Id);
    }

    [Fact]
    public async Task Token_issue_without_issuer_and_audience_leaves_them_out()
    {
        var (exitCode, output, error) = await Cli.RunAsync("token", "issue", "--scope", Scopes.Admin, "--auth-secret-file", TestKeys.SecretFile);

        Assert.True(exitCode == 0, error);
        var jwt = new JsonWebToken(output.Trim());
        Assert.False(jwt.TryGetPayloadValue<string>("iss", out _));
        Assert.Empty(jwt.Audiences);
        Assert.False(jwt.TryGetPayloadValue<string>("sub", out _));
        Assert.Equal(Scopes.Admin, jwt.GetClaim("scope").Value);
        Assert.Equal(TimeSpan.FromHours(1), jwt.ValidTo - jwt.IssuedAt); // the default --ttl
    }

    public static TheoryData<string, string[]> BadIssues()
    {
        var folder = TestKeys.FolderPath;
        var shortSecret = Path.Combine(folder, "short-secret");
        File.WriteAllText(shortSecret, new string('s', 31) + "\n");
        return new()
        {
            { "no scope", ["--auth-secret-file", TestKeys.SecretFile] },
            { "unknown scope", ["--scope", "analyzer:everything", "--auth-secret-file", TestKeys.SecretFile] },
            { "ttl with an unknown unit", ["--scope", Scopes.Read, "--ttl", "1x", "--auth-secret-file", TestKeys.SecretFile] },
            { "ttl zero", ["--scope", Scopes.Read, "--ttl", "0s", "--auth-secret-file", TestKeys.SecretFile] },
            { "ttl over ten years", ["--scope", Scopes.Read, "--ttl", "3651d", "--auth-secret-file", TestKeys.SecretFile] },
            { "ttl over the longest lifetime accepted", ["--scope", Scopes.Read, "--ttl", "25h", "--auth-secret-file", TestKeys.SecretFile] },
            { "no secret file", ["--scope", Scopes.Read] },
            { "a missing secret file", ["--scope", Scopes.Read, "--auth-secret-file", Path.Combine(folder, "nothing-here")] },
            { "a secret of 31 bytes", ["--scope", Scopes.Read, "--auth-secret-file", shortSecret] },
        };
    }

    [Theory]
    [MemberData(nameof(BadIssues))]
    public async Task Token_issue_refuses_bad_input_with_one_line_and_exit_code_2(string rule, string[] options)
    {
        var (exitCode, output, error) = await Cli.RunAsync(["token", "issue", .. options]);

        Assert.True(exitCode == 2, $"{rule}: exit {exitCode}, {error}");
        Assert.Empty(output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("analyzer: ", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no id", new[] { "--db", "sqlite:data/never-created.db" })]
    [InlineData("a bad database URL", new[] { "some-jti", "--db", "mysql://host/db" })]
    public async Task Token_revoke_refuses_bad_input_with_one_line_and_exit_code_2(string rule, string[] options)
    {
        var (exitCode, output, error) = await Cli.RunAsync(["token", "revoke", .. options]);

        Assert.True(exitCode == 2, $"{rule}: exit {exitCode}, {error}");
        Assert.Empty(output);
        Assert.StartsWith("analyzer: ", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    public static TheoryData<string, string[]> BadServeOptions()
    {
        var folder = TestKeys.FolderPath;
        var garbage = Path.Combine(folder, "garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
        var shortSecret = Path.Combine(folder, "tiny-secret");
        File.WriteAllText(shortSecret, "tiny");
        return new()
        {
            { "a secret of 4 bytes", ["--auth-secret-file", shortSecret] },
            { "a missing secret file", ["--auth-secret-file", Path.Combine(folder, "nothing-here")] },
            { "a public key without issuer and audience", ["--auth-public-key-file", TestKeys.PublicKeyFile] },
            { "a file that holds no key", ["--auth-public-key-file", garbage, "--auth-issuer", "i", "--auth-audience", "a"] },
        };
    }

    [Theory]
    [MemberData(nameof(BadServeOptions))]
    public async Task Serve_refuses_a_bad_auth_configuration_with_one_line_and_exit_code_2(string rule, string[] options)
    {
        var database = "sqlite://" + Path.Combine(TestKeys.FolderPath, "serve-refused.db");
        // serve writes its one-line errors to the console itself: only the exit code is seen here.
        var (exitCode, _, _) = await Cli.RunAsync(["serve", "--api-address", "127.0.0.1", "--db", database, .. options]);

        Assert.True(exitCode == 2, $"{rule}: exit {exitCode}");
        Assert.False(File.Exists(database["sqlite://".Length..]), "nothing was started");
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d2h3m4s", 93784)]
    [InlineData("3650d", 315360000)]
    public void Lifetimes_are_counts_of_days_hours_minutes_and_seconds(string text, int seconds)
    {
        Assert.True(Tokens.TryParseLifetime(text, out var lifetime));
        Assert.Equal(TimeSpan.FromSeconds(seconds), lifetime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("0s")]
    [InlineData("-1h")]
    [InlineData("1.5h")]
    [InlineData("30m1h")]
    [InlineData("3651d")]
    [InlineData("60")]
    public void Other_lifetimes_are_refused(string text) => Assert.False(Tokens.TryParseLifetime(text, out _));

    [Fact]
    public void Public_keys_are_read_from_RSA_and_EC_PEM_files_keeping_only_the_public_half()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var folder = TestKeys.FolderPath;
        foreach (var (name, pem, algorithm) in new[]
        {
            ("rsa-public.pem", rsa.ExportSubjectPublicKeyInfoPem(), SecurityAlgorithms.RsaSha256),
            ("rsa-pkcs1.pem", rsa.ExportRSAPublicKeyPem(), SecurityAlgorithms.RsaSha256),
            ("rsa-private.pem", rsa.ExportPkcs8PrivateKeyPem(), SecurityAlgorithms.RsaSha256),
            ("ec-public.pem", ec.ExportSubjectPublicKeyInfoPem(), SecurityAlgorithms.EcdsaSha384),
        })
        {
            var path = Path.Combine(folder, name);
            File.WriteAllText(path, pem);
            var options = new AuthOptions { PublicKeyFile = path, Issuer = "i", Audience = "a" };
            Assert.True(AuthKeys.TryLoad(options, out var keys, out var error), $"{name}: {error}");
            var key = Assert.Single(keys.Keys);
            Assert.Contains(algorithm, keys.Algorithms);
            Assert.ThrowsAny<CryptographicException>(() => key switch
            {
                RsaSecurityKey r => (object)r.Rsa.ExportParameters(includePrivateParameters: true),
                ECDsaSecurityKey e => e.ECDsa.ExportParameters(includePrivateParameters: true),
                _ => throw new InvalidOperationException(key.GetType().Name),
            });
        }
    }

    [Fact]
    public void The_secret_is_the_file_without_its_trailing_newline()
    {
        var path = Path.Combine(TestKeys.FolderPath, "secret-crlf");
        var text = new string('k', 32);
        File.WriteAllText(path, text + "\r\n");
        Assert.True(AuthKeys.TryReadSecret(path, out var secret, out _));
        Assert.Equal(Encoding.ASCII.GetBytes(text), secret);
    }

    [Theory]
    [InlineData(false, new[] { "http://0.0.0.0:8080" }, "http://0.0.0.0:8080")]
    [InlineData(false, new[] { "http://[::]:8080", "http://127.0.0.1:8081" }, "http://[::]:8080")]
    [InlineData(false, new[] { "http://192.168.1.20:8080" }, "http://192.168.1.20:8080")]
    [InlineData(false, new[] { "http://*:8080", "http://+:8081" }, "http://*:8080, http://+:8081")]
    [InlineData(false, new[] { "http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080", "https://127.0.0.2:443" }, null)]
    [InlineData(false, new string[0], null)]
    [InlineData(true, new[] { "http://0.0.0.0:8080" }, null)]
    public void One_warning_when_auth_is_off_and_an_address_is_not_loopback(bool authEnabled, string[] addresses, string? warned)
    {
        var logger = new ListLogger();
        OpenServiceWarning.Log(logger, authEnabled, addresses);
        if (warned is null)
        {
            Assert.Empty(logger.Lines);
            return;
        }
        var (level, message) = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains($"listens on {warned}:", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_revocation_body_names_the_token_by_jti_only()
    {
        var errors = new ValidationErrors();
        Assert.Equal("abc", AuthApi.ReadJti(new System.Buffers.ReadOnlySequence<byte>("""{"jti": "abc"}"""u8.ToArray()), errors));
        Assert.True(errors.IsEmpty);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
