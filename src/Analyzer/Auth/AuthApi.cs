using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Analyzer.Imports;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Analyzer.Auth;

/// <summary>Bearer-token authentication, the scope policies, and <c>POST /auth/revocations</c>.</summary>
public static class AuthApi
{
    public const int MaxJtiLength = 256;

    /// <summary>The body of <c>POST /auth/revocations</c> (read by hand; this names it for the document).</summary>
    public sealed record RevocationRequest([property: JsonPropertyName("jti")] string Jti);

    public static IServiceCollection AddAnalyzerAuth(this IServiceCollection services)
    {
        services.AddSettings<AuthOptions>();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TokenValidation>();
        services.AddSingleton<TokenRevocations>();
        services.AddSingleton<IPurge, RevocationPurge>();
        services.AddSingleton<RevocationCache>();
        services.AddSingleton<BearerEvents>();
        services.AddSessions();
        // The core only: AddAuthentication would also start data protection (a key ring on disk) that no bearer token needs.
        services.AddWebEncoders();
        // AddJwtBearer reads Authentication:Schemes:Bearer through this (AddAuthentication would register it): here
        // the scheme is configured by Analyzer:Auth alone, so that section is empty whatever the configuration holds.
        services.TryAddSingleton<IAuthenticationConfigurationProvider, NoSchemeConfiguration>();
        new AuthenticationBuilder(services.AddAuthenticationCore(options => options.DefaultScheme = JwtBearerDefaults.AuthenticationScheme))
            .AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, options =>
            {
                // Claims as the token names them (scope, scp, jti, sub), not mapped to the long WS-* URIs.
                options.MapInboundClaims = false;
                options.SaveToken = false;
                options.EventsType = typeof(BearerEvents);
            });
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenValidation>((options, validation) => options.TokenValidationParameters = validation.Parameters);
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, ScopeRequirementHandler>();
        var policies = services.AddAuthorizationBuilder();
        foreach (var scope in Scopes.All)
        {
            policies.AddPolicy(scope, policy => policy.AddRequirements(new ScopeRequirement(scope)));
        }
        return services;
    }

    private sealed class NoSchemeConfiguration : IAuthenticationConfigurationProvider
    {
        public IConfiguration AuthenticationConfiguration { get; } = new ConfigurationBuilder().Build();
    }

    /// <summary>Authentication and authorization after the error pages (so their failures are problem+json too), and the start-up warning.</summary>
    public static WebApplication UseAnalyzerAuth(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.Lifetime.ApplicationStarted.Register(() => OpenServiceWarning.Log(
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthApi).Namespace!),
            app.Services.GetRequiredService<TokenValidation>().Enabled,
            app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []));
        return app;
    }

    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").WithTags("Auth");
        group.MapPost("/revocations", RevokeToken).WithName("RevokeToken")
            .WithSummary("Refuse a token from now on, by its id (jti); revoking it again is 200 with the first record")
            .Accepts<RevocationRequest>(JsonData.ContentType)
            .Produces<DataEnvelope<RevokedToken>>(StatusCodes.Status201Created)
            .Produces<DataEnvelope<RevokedToken>>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Scopes.Admin);
        group.MapSessions();
        return group;
    }

    private static async Task<Results<JsonHttpResult<DataEnvelope<RevokedToken>>, ValidationProblem, ProblemHttpResult>> RevokeToken(
        HttpRequest request, RevocationCache revocations, CancellationToken cancellationToken)
    {
        var (body, refusal) = await RequestBody.ReadJsonAsync(request, cancellationToken);
        if (body is null)
        {
            return refusal!;
        }
        var errors = new ValidationErrors();
        string? jti;
        using (body)
        {
            jti = ReadJti(body.Content, errors);
        }
        if (jti is null)
        {
            return Problems.Invalid(errors, """Nothing was revoked: send {"jti": "<token id>"}.""");
        }
        var (revocation, created) = await revocations.RevokeAsync(jti, cancellationToken);
        var data = new RevokedToken(revocation.Jti, revocation.RevokedAt);
        return created
            ? JsonData.Created(data, AuthJsonContext.Default.DataEnvelopeRevokedToken)
            : JsonData.Ok(data, AuthJsonContext.Default.DataEnvelopeRevokedToken);
    }

    /// <summary>Reads <c>{"jti": "..."}</c> and nothing else; null when <paramref name="errors"/> says why not.</summary>
    public static string? ReadJti(ReadOnlySequence<byte> body, ValidationErrors errors)
    {
        if (!JsonBody.Check(body, errors))
        {
            return null;
        }
        using (var document = JsonDocument.Parse(body))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add("$", """must be an object: {"jti": "<token id>"}""");
                return null;
            }
            string? jti = null;
            var seen = false;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name != "jti")
                {
                    errors.Add(property.Name, "is not a field of a revocation; send only jti");
                    continue;
                }
                if (seen)
                {
                    errors.Add("$", "jti appears more than once: send it once");
                    continue;
                }
                seen = true;
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    errors.Add("jti", "must be a string: the token's id");
                }
                else if (property.Value.GetString() is not { Length: > 0 and <= MaxJtiLength } value || string.IsNullOrWhiteSpace(value))
                {
                    errors.Add("jti", $"must be 1–{MaxJtiLength} characters, not blank");
                }
                else
                {
                    jti = value;
                }
            }
            if (!seen)
            {
                errors.Add("jti", "is required: the id of the token to revoke");
            }
            return errors.IsEmpty ? jti : null;
        }
    }
}

public sealed record RevokedToken(string Jti, DateTime RevokedAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DataEnvelope<RevokedToken>))]
[JsonSerializable(typeof(DataEnvelope<SessionToken>))]
public sealed partial class AuthJsonContext : JsonSerializerContext;

/// <summary>One warning at start when nothing keeps strangers out: authentication off and a non-loopback address.</summary>
public static class OpenServiceWarning
{
    public static void Log(ILogger logger, bool authEnabled, IEnumerable<string> addresses)
    {
        IReadOnlyList<string> open = authEnabled ? [] : OpenAddresses(addresses);
        if (open.Count > 0)
        {
            logger.LogWarning(
                "Authentication is off and the service listens on {Addresses}: anyone who reaches it can read and change every data set. Start with --auth-secret-file or --auth-public-key-file to require tokens.",
                string.Join(", ", open));
        }
    }

    /// <summary>The addresses (http://host:port) that are not loopback: 0.0.0.0, [::], *, +, a LAN address or a host name.</summary>
    public static IReadOnlyList<string> OpenAddresses(IEnumerable<string> addresses) =>
        [.. addresses.Where(address => !IsLoopback(address))];

    private static bool IsLoopback(string address)
    {
        var host = address;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            host = host[..slash];
        }
        if (host.StartsWith('[') && host.IndexOf(']', StringComparison.Ordinal) is var end and > 0)
        {
            host = host[1..end];
        }
        else if (host.LastIndexOf(':') is var colon and >= 0)
        {
            host = host[..colon];
        }
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }
}
