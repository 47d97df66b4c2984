using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Cli;
using Analyzer.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Auth;

public sealed class SqliteAuthTests(SqliteAuthApp app) : AuthTests<SqliteAuthApp>(app);

public sealed class PostgresAuthTests(PostgresAuthApp app) : AuthTests<PostgresAuthApp>(app), IPostgresTests;

public sealed class SqliteAuthOffTests(SqliteApp app) : AuthOffTests<SqliteApp>(app);

public sealed class PostgresAuthOffTests(PostgresApp app) : AuthOffTests<PostgresApp>(app), IPostgresTests;

/// <summary>Every endpoint that needs a token, the scope that opens it, and a request that succeeds with that scope.</summary>
public static class ProtectedEndpoints
{
    public sealed record Endpoint(string Method, string Path, string Scope, HttpStatusCode Success)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    public static readonly Endpoint[] All =
    [
        new("GET", "/imports/{import}/citizens", Scopes.Read, HttpStatusCode.OK),
        new("GET", "/imports/{import}/citizens/birthdays", Scopes.Read, HttpStatusCode.OK),
        new("GET", "/imports/{import}/towns/stat/percentile/age", Scopes.Read, HttpStatusCode.OK),
        new("POST", "/imports", Scopes.Write, HttpStatusCode.Created),
        new("GET", "/imports", Scopes.Read, HttpStatusCode.OK),
        new("GET", "/imports/{import}", Scopes.Read, HttpStatusCode.OK),
        new("PATCH", "/imports/{import}/citizens/1", Scopes.Write, HttpStatusCode.OK),
        new("POST", "/auth/revocations", Scopes.Admin, HttpStatusCode.Created),
    ];

    public static TheoryData<string, string> Names()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in All)
        {
            data.Add(endpoint.Method, endpoint.Path);
        }
        return data;
    }

    public static Endpoint Find(string method, string path) => All.Single(e => e.Method == method && e.Path == path);

    /// <summary>Sends the endpoint's successful request (on import <paramref name="importId"/>) with <paramref name="authorization"/>.</summary>
    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, Endpoint endpoint, long importId, string? authorization)
    {
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), endpoint.Path.Replace("{import}", importId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        request.Content = endpoint.Path switch
        {
            "/imports" => ApiClient.Json(ContractExample().ToJsonString()),
            "/auth/revocations" => ApiClient.Json(JsonSerializer.Serialize(new { jti = Guid.NewGuid().ToString("N") })),
            _ when endpoint.Method == "PATCH" => ApiClient.Json("""{"name": "Иванов Иван"}"""),
            _ => null,
        };
        return await client.SendAsync(request);
    }

    public static string Bearer(string token) => "Bearer " + token;
}

/// <summary>Authentication on (HS256 secret, EC public key, issuer, audience): tokens, scopes, revocation, on each back end.</summary>
public abstract class AuthTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    protected HttpClient Client { get; } = app.CreateClient();

    private static readonly string AllScopes = ProtectedEndpoints.Bearer(TestKeys.Issue([.. Scopes.All]).Token);

    private async Task<long> CreateImportAsync()
    {
        using var response = await Client.SendAsync(ProtectedEndpoints.Find("POST", "/imports"), 0, AllScopes);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("data").GetProperty("import_id").GetInt64();
    }

    private async Task<HttpResponseMessage> GetCitizensAsync(long importId, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/imports/{importId}/citizens");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await Client.SendAsync(request);
    }

    private static string WwwAuthenticate(HttpResponseMessage response) => string.Join(", ", response.Headers.GetValues("WWW-Authenticate"));

    [BackendTheory]
    [MemberData(nameof(ProtectedEndpoints.Names), MemberType = typeof(ProtectedEndpoints))]
    public async Task A_request_without_a_token_is_401_with_WWW_Authenticate_Bearer(string method, string path)
    {
        var importId = await CreateImportAsync();

        using var response = await Client.SendAsync(ProtectedEndpoints.Find(method, path), importId, authorization: null);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", WwwAuthenticate(response));
        Assert.Contains("Authorization: Bearer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> RefusedTokens() => new()
    {
        { "signed with another secret", "signature" },
        { "signed with another EC key", "signature" },
        { "expired an hour ago", "expired" },
        { "for another audience", "audience" },
        { "from another issuer", "issuer" },
        { "valid only from tomorrow", "not valid yet" },
        { "without an expiry", "expiry" },
        { "unsigned (alg none)", "signature" },
        { "not a JWT", "well-formed" },
        { "with exp as a string", "NumericDate" },
        { "with a critical header extension", "crit" },
        { "living two days", "lives longer" },
    };

    /// <summary>An HS256 token of the fixture's secret with exactly this header and payload.</summary>
    private static string Signed(string header, string payload)
    {
        var signingInput = Base64UrlEncoder.Encode(header) + "." + Base64UrlEncoder.Encode(payload);
        return signingInput + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(TestKeys.Secret, System.Text.Encoding.ASCII.GetBytes(signingInput)));
    }

    private static string Claims(string exp) =>
        $$"""{"iss":"{{TestKeys.Issuer}}","aud":"{{TestKeys.Audience}}","scope":"{{string.Join(' ', Scopes.All)}}","exp":{{exp}}}""";

    private static string RefusedToken(string kind)
    {
        var now = DateTime.UtcNow;
        return kind switch
        {
            "signed with another secret" => TestKeys.Custom(_ => { }, new SigningCredentials(
                new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(48)), SecurityAlgorithms.HmacSha256)),
            "signed with another EC key" => TestKeys.Custom(_ => { }, new SigningCredentials(
                new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)), SecurityAlgorithms.EcdsaSha256)),
            "expired an hour ago" => TestKeys.Custom(d => (d.IssuedAt, d.NotBefore, d.Expires) = (now.AddHours(-2), now.AddHours(-2), now.AddHours(-1))),
            "for another audience" => TestKeys.Custom(d => d.Audience = "another-service"),
            "from another issuer" => TestKeys.Custom(d => d.Issuer = "https://someone.else"),
            "valid only from tomorrow" => TestKeys.Custom(d => (d.NotBefore, d.Expires) = (now.AddDays(1), now.AddDays(2))),
            "without an expiry" => TestKeys.Custom(d => d.Expires = null),
            "unsigned (alg none)" => Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""") + "." + TestKeys.Custom(_ => { }).Split('.')[1] + ".",
            "not a JWT" => "not-a-token",
            "with exp as a string" => Signed("""{"alg":"HS256","typ":"JWT"}""", Claims($"\"{new DateTimeOffset(now.AddHours(1)).ToUnixTimeSeconds()}\"")),
            "with a critical header extension" => Signed("""{"alg":"HS256","typ":"JWT","crit":["exp"],"exp":1}""",
                Claims(new DateTimeOffset(now.AddHours(1)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))),
            "living two days" => TestKeys.Custom(d => (d.IssuedAt, d.NotBefore, d.Expires) = (now, now, now.AddDays(2))),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    [BackendTheory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_refused_token_is_401_invalid_token_saying_why(string kind, string reason)
    {
        var importId = await CreateImportAsync();

        using var response = await GetCitizensAsync(importId, RefusedToken(kind));

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.StartsWith("Bearer error=\"invalid_token\"", WwwAuthenticate(response), StringComparison.Ordinal);
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task A_token_issued_elsewhere_with_the_public_key_issuer_and_audience_is_accepted()
    {
        var importId = await CreateImportAsync();
        var token = TestKeys.Custom(d => d.Claims["scp"] = new[] { Scopes.Read },
            new SigningCredentials(new ECDsaSecurityKey(TestKeys.ExternalKey), SecurityAlgorithms.EcdsaSha256));

        using var response = await GetCitizensAsync(importId, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [BackendFact]
    public async Task A_token_without_the_scope_is_403_naming_the_scope()
    {
        var importId = await CreateImportAsync();
        var readOnly = TestKeys.Issue(Scopes.Read).Token;

        using var response = await Client.SendAsync(ProtectedEndpoints.Find("PATCH", "/imports/{import}/citizens/1"), importId, ProtectedEndpoints.Bearer(readOnly));

        var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal($"Bearer error=\"insufficient_scope\", scope=\"{Scopes.Write}\"", WwwAuthenticate(response));
        Assert.Contains(Scopes.Write, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var unchanged = await GetCitizensAsync(importId, TestKeys.Issue(Scopes.Read).Token);
        Assert.Contains("Иванов Иван Иванович", await unchanged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [BackendTheory]
    [InlineData(Scopes.Read)]
    [InlineData(Scopes.Write)]
    [InlineData(Scopes.Admin)]
    [InlineData("")]
    public async Task Each_scope_opens_exactly_its_endpoints(string scope)
    {
        var importId = await CreateImportAsync();
        var token = ProtectedEndpoints.Bearer(TestKeys.Issue(scope.Length == 0 ? [] : [scope]).Token);

        foreach (var endpoint in ProtectedEndpoints.All)
        {
            using var response = await Client.SendAsync(endpoint, importId, token);
            var expected = endpoint.Scope == scope ? endpoint.Success : HttpStatusCode.Forbidden;
            Assert.True(expected == response.StatusCode,
                $"{endpoint} with scope '{scope}': expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [BackendFact]
    public async Task A_token_with_every_scope_opens_every_endpoint_and_the_scheme_name_is_case_insensitive()
    {
        var importId = await CreateImportAsync();
        foreach (var endpoint in ProtectedEndpoints.All)
        {
            using var response = await Client.SendAsync(endpoint, importId, "bearer " + TestKeys.Issue([.. Scopes.All]).Token);
            Assert.True(endpoint.Success == response.StatusCode, $"{endpoint}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [BackendFact]
    public async Task A_token_revoked_through_the_API_is_401_at_once_and_revoking_again_is_200()
    {
        var importId = await CreateImportAsync();
        var revoked = TestKeys.Issue(Scopes.Read);
        var other = TestKeys.Issue(Scopes.Read);
        using (var before = await GetCitizensAsync(importId, revoked.Token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var admin = ProtectedEndpoints.Bearer(TestKeys.Issue(Scopes.Admin).Token);
        using var first = await RevokeAsync(admin, $$"""{"jti": "{{revoked.Jti}}"}""");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal("application/json", first.Content.Headers.ContentType?.MediaType);
        var created = (await first.ReadJsonAsync()).GetProperty("data");
        Assert.Equal(revoked.Jti, created.GetProperty("jti").GetString());
        Assert.Equal(app.Clock.Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), created.GetProperty("revoked_at").GetString());

        using var again = await RevokeAsync(admin, $$"""{"jti": "{{revoked.Jti}}"}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(created.ToString(), (await again.ReadJsonAsync()).GetProperty("data").ToString());

        using var after = await GetCitizensAsync(importId, revoked.Token);
        var problem = await after.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.StartsWith("Bearer error=\"invalid_token\"", WwwAuthenticate(after), StringComparison.Ordinal);
        Assert.Contains("revoked", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var untouched = await GetCitizensAsync(importId, other.Token);
        Assert.Equal(HttpStatusCode.OK, untouched.StatusCode);
    }

    [BackendFact]
    public async Task A_token_revoked_with_the_CLI_is_401_once_the_revocation_cache_expires()
    {
        var importId = await CreateImportAsync();
        var used = TestKeys.Issue(Scopes.Read);
        var unused = TestKeys.Issue(Scopes.Read);
        using (var before = await GetCitizensAsync(importId, used.Token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        foreach (var token in new[] { used, unused })
        {
            var (exitCode, output, error) = await Cli.RunAsync("token", "revoke", token.Jti, "--db", app.DatabaseUrl);
            Assert.True(exitCode == 0, error);
            Assert.StartsWith($"revoked {token.Jti} at ", output, StringComparison.Ordinal);
        }

        // Never checked before: refused at once.
        using (var response = await GetCitizensAsync(importId, unused.Token))
        {
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
        // Checked a moment ago: refused once the remembered answer is older than the cache's lifetime.
        var now = app.Clock.Now;
        app.Clock.Now = now + RevocationCache.Lifetime;
        try
        {
            using var response = await GetCitizensAsync(importId, used.Token);
            var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("revoked", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            app.Clock.Now = now;
        }
    }

    private async Task<HttpResponseMessage> RevokeAsync(string authorization, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/revocations") { Content = ApiClient.Json(body) };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await Client.SendAsync(request);
    }

    public static TheoryData<string, string, string> BadRevocations() => new()
    {
        { "empty object", "jti", """{}""" },
        { "jti a number", "jti", """{"jti": 5}""" },
        { "jti null", "jti", """{"jti": null}""" },
        { "jti empty", "jti", """{"jti": ""}""" },
        { "jti blank", "jti", """{"jti": "   "}""" },
        { "jti too long", "jti", $$"""{"jti": "{{new string('j', 257)}}"}""" },
        { "an unknown field beside a good jti", "reason", """{"jti": "JTI", "reason": "lost"}""" },
        { "jti twice", "$", """{"jti": "JTI", "jti": "JTI"}""" },
        { "an array", "$", """["JTI"]""" },
        { "not JSON", "$", """{"jti": """ },
        { "trailing garbage", "$", """{"jti": "JTI"} x""" },
    };

    [BackendTheory]
    [MemberData(nameof(BadRevocations))]
    public async Task A_bad_revocation_body_is_400_and_revokes_nothing(string rule, string path, string body)
    {
        var importId = await CreateImportAsync();
        var token = TestKeys.Issue(Scopes.Read);

        using var response = await RevokeAsync(ProtectedEndpoints.Bearer(TestKeys.Issue(Scopes.Admin).Token), body.Replace("JTI", token.Jti, StringComparison.Ordinal));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), $"{rule}: no error at {path} in {problem}");
        using var still = await GetCitizensAsync(importId, token.Token);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [BackendFact]
    public async Task Health_stays_open_without_a_token_and_with_a_refused_one()
    {
        using (var response = await Client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RefusedToken("expired an hour ago"));
        using var refused = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
    }

    /// <summary>Dropping a dataset is for admins; GETs of datasets that lead to a change need write.</summary>
    private static readonly Dictionary<string, string> ExceptionsToTheMethodRule = new(StringComparer.Ordinal)
    {
        ["DELETE /datasets/{name}"] = Scopes.Admin,
        ["DELETE /imports/{import_id:id}"] = Scopes.Admin,
        ["GET /datasets/{name}/rows/create"] = Scopes.Write,
        ["GET /datasets/{name}/rows/{id:id}/update"] = Scopes.Write,
        ["GET /datasets/{name}/rows/{id:id}/delete"] = Scopes.Write,
        ["GET /metrics"] = Scopes.Admin, // operational figures (Observability/), not the data
    };

    /// <summary>The gRPC calls and the scopes of their REST twins.</summary>
    private static readonly Dictionary<string, string> GrpcScopes = new(StringComparer.Ordinal)
    {
        ["/analyzer.v1.Analyzer/ImportCitizens"] = Scopes.Write,
        ["/analyzer.v1.Analyzer/PatchCitizen"] = Scopes.Write,
        ["/analyzer.v1.Analyzer/ListCitizens"] = Scopes.Read,
        ["/analyzer.v1.Analyzer/GetBirthdays"] = Scopes.Read,
        ["/analyzer.v1.Analyzer/GetAgePercentiles"] = Scopes.Read,
        ["/analyzer.v1.Analyzer/GetCourses"] = Scopes.Read,
        ["/analyzer.v1.Analyzer/GetDemand"] = Scopes.Read,
    };

    [BackendFact]
    public void Every_endpoint_needs_the_scope_of_its_method_or_is_anonymous_on_purpose()
    {
        var anonymousPrefixes = new[] { "/health", "/openapi", "/docs" };
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToArray();
            if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                continue;
            }
            if (anonymousPrefixes.Any(prefix => pattern.StartsWith(prefix, StringComparison.Ordinal)))
            {
                Assert.True(policies.Length == 0, $"{pattern} must stay anonymous, has {string.Join(", ", policies)}");
                continue;
            }
            if (endpoint.Metadata.GetMetadata<global::Grpc.AspNetCore.Server.GrpcMethodMetadata>() is not null)
            {
                // gRPC (every call a POST): the Analyzer's calls need their REST twins' scopes; health checking,
                // reflection and the UNIMPLEMENTED answers to unknown methods are anonymous, as /health is.
                var anonymousGrpc = pattern.StartsWith("/grpc.health.v1.", StringComparison.Ordinal)
                    || pattern.StartsWith("/grpc.reflection.", StringComparison.Ordinal) || pattern.Contains('{', StringComparison.Ordinal);
                Assert.True(anonymousGrpc ? policies.Length == 0 : GrpcScopes.TryGetValue(pattern, out var grpcScope) && policies.SequenceEqual([grpcScope]),
                    $"gRPC {pattern} has [{string.Join(", ", policies)}]");
                continue;
            }
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? [];
            var expected = pattern.StartsWith("/auth/", StringComparison.Ordinal) ? Scopes.Admin
                : ExceptionsToTheMethodRule.TryGetValue($"{string.Join(",", methods)} {pattern}", out var scope) ? scope
                : methods.Count > 0 && methods.All(m => m is "GET" or "HEAD") ? Scopes.Read
                : Scopes.Write;
            Assert.True(policies.SequenceEqual([expected]),
                $"{string.Join(",", methods)} {pattern} needs the policy {expected} (or AllowAnonymous on purpose), has [{string.Join(", ", policies)}]");
        }
    }
}

/// <summary>Without a key (the normal fixtures) every endpoint is open, whatever Authorization header comes along.</summary>
public abstract class AuthOffTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client = app.CreateClient();

    [BackendTheory]
    [InlineData(null)]
    [InlineData("Bearer not-a-token")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task Every_endpoint_is_open_without_a_key(string? authorization)
    {
        var importId = await client.CreateImportAsync(ContractExample());
        foreach (var endpoint in ProtectedEndpoints.All)
        {
            using var response = await client.SendAsync(endpoint, importId, authorization);
            Assert.True(endpoint.Success == response.StatusCode, $"{endpoint}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}

/// <summary>Runs the command line in this process, with its output captured.</summary>
public static class Cli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await AnalyzerCli.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
