using System.Data.Common;
using Analyzer.Web;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analyzer.Auth;

/// <summary>
/// What this service adds to the stock JwtBearer handler of the <c>Bearer</c> scheme: no token is even read while
/// authentication is off; a valid token must not be revoked (<see cref="RevocationCache"/>); a challenge is 401 with
/// <c>WWW-Authenticate: Bearer</c> (plus <c>error="invalid_token"</c> and the reason when a token was sent but refused),
/// a forbid is 403 with <c>error="insufficient_scope"</c>; both bodies are problem+json from <see cref="IProblemDetailsService"/>.
/// </summary>
public sealed class BearerEvents(TokenValidation validation, RevocationCache revocations) : JwtBearerEvents
{
    private const string Prefix = "Bearer ";

    /// <summary>
    /// The token of <c>Authorization: Bearer &lt;JWT&gt;</c> (the scheme name in any case), or no result at all: also
    /// where the endpoint needs no authorization (health, docs, the OpenAPI document, confirmation links, an unknown
    /// path), so that those never depend on the revocation lookup, that is on the database.
    /// </summary>
    public override Task MessageReceived(MessageReceivedContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (!validation.Enabled || header is null || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            || !NeedsAuthorization(context.HttpContext.GetEndpoint()))
        {
            context.NoResult();
        }
        else if (header[Prefix.Length..].Trim() is { Length: > 0 } token)
        {
            context.Token = token;
        }
        else
        {
            context.Fail(new TokenRefusedException("the Authorization header has no token after Bearer"));
        }
        return Task.CompletedTask;
    }

    /// <summary>Whether authorization would look at the user of a request to <paramref name="endpoint"/> (routing has run before authentication).</summary>
    private static bool NeedsAuthorization(Endpoint? endpoint) =>
        endpoint is not null
        && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null
        && endpoint.Metadata.Any(m => m is IAuthorizeData or AuthorizationPolicy or IAuthorizationRequirementData);

    /// <summary>
    /// Refuses a token that <see cref="TokenValidation.Refusal"/> refuses, or whose id (jti) has been revoked. A
    /// lookup that fails is neither a 401 nor a 500: it is a <see cref="DatabaseUnavailableException"/>, answered 503
    /// with Retry-After.
    /// </summary>
    public override async Task TokenValidated(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken token)
        {
            return;
        }
        if (validation.Refusal(token, DateTime.UtcNow) is { } refusal)
        {
            context.Fail(new TokenRefusedException(refusal));
        }
        else if (token.Id is { } id && (Analyzer.Web.TextRule.HasNul(id) || !IsWellFormed(id)))
        {
            // PostgreSQL stores no U+0000 and no lone surrogate: such an id was never revoked, nor issued by a sane issuer (found by the fuzz suite: a 503).
            context.Fail(new TokenRefusedException("the token's id (jti) holds U+0000 or a lone surrogate"));
        }
        else if (token.Id is { Length: > 0 } jti && await IsRevokedAsync(jti, context.HttpContext.RequestAborted))
        {
            context.Fail(new TokenRefusedException("the token has been revoked"));
        }
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    private async Task<bool> IsRevokedAsync(string jti, CancellationToken cancellationToken)
    {
        try
        {
            return await revocations.IsRevokedAsync(jti, cancellationToken);
        }
        catch (DbException e)
        {
            throw new DatabaseUnavailableException("the token's revocation could not be looked up", e);
        }
    }

    public override async Task Challenge(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var failure = context.AuthenticateFailure is { } exception ? Describe(exception) : null;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = failure is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{failure.Replace('"', '\'')}\"";
        await WriteProblemAsync(context.HttpContext, "Unauthorized", failure is null
            ? "This endpoint needs a bearer token: send Authorization: Bearer <token>."
            : $"The bearer token was refused: {failure}.");
    }

    public override async Task Forbidden(ForbiddenContext context)
    {
        var scope = context.HttpContext.Items[ScopeRequirementHandler.MissingScopeKey] as string;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status403Forbidden;
        response.Headers.WWWAuthenticate = scope is null
            ? "Bearer error=\"insufficient_scope\""
            : $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
        await WriteProblemAsync(context.HttpContext, "Forbidden", scope is null
            ? "The token does not grant what this endpoint requires."
            : $"The token lacks the scope {scope} that this endpoint requires.");
    }

    /// <summary>Why a token was refused, in words that name no secret and echo nothing from the token.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        TokenRefusedException refused => refused.Message,
        SecurityTokenExpiredException expired => $"the token expired at {expired.Expires:yyyy-MM-dd HH:mm:ss} UTC",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf)",
        SecurityTokenNoExpirationException => "the token has no expiry (exp)",
        SecurityTokenInvalidSignatureException => "the token's signature does not verify with the configured key",
        SecurityTokenInvalidAudienceException => "the token is meant for another audience (aud)",
        SecurityTokenInvalidIssuerException => "the token is from another issuer (iss)",
        SecurityTokenInvalidAlgorithmException => "the token is signed with an algorithm this service does not accept",
        SecurityTokenMalformedException or ArgumentException => "the token is not a well-formed signed JWT",
        _ => "the token is not valid",
    };

    private static async Task WriteProblemAsync(HttpContext context, string title, string detail)
    {
        var problem = new ProblemDetails { Status = context.Response.StatusCode, Title = title, Detail = detail };
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            // The client's Accept header ruled JSON out: problem+json all the same, never an empty body.
            await TypedResults.Problem(problem).ExecuteAsync(context);
        }
    }

    /// <summary>A refusal this service decides itself (not the token handler's); its message is the reason given to the client.</summary>
    private sealed class TokenRefusedException(string reason) : Exception(reason);
}
