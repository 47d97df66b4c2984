using Microsoft.AspNetCore.Authorization;

namespace Analyzer.Auth;

/// <summary>The token must grant <see cref="Scope"/>; always met while authentication is off.</summary>
public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

public sealed class ScopeRequirementHandler(TokenValidation validation) : AuthorizationHandler<ScopeRequirement>
{
    /// <summary>Where a refused request keeps the scope it lacked, for the 403 answer to name it.</summary>
    public const string MissingScopeKey = "Analyzer.Auth.MissingScope";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (!validation.Enabled || Scopes.Of(context.User).Contains(requirement.Scope))
        {
            context.Succeed(requirement);
        }
        else if (context.Resource is HttpContext http)
        {
            http.Items[MissingScopeKey] = requirement.Scope;
        }
        return Task.CompletedTask;
    }
}

public static class ScopeConventions
{
    /// <summary>
    /// The group convention of the data endpoints: GET, HEAD and OPTIONS need <see cref="Scopes.Read"/>, every
    /// other method <see cref="Scopes.Write"/>. An endpoint that declares its own authorization (or
    /// <c>AllowAnonymous</c>) keeps it.
    /// </summary>
    public static TBuilder RequireAnalyzerScopes<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            if (endpoint.Metadata.Any(m => m is IAuthorizeData or IAllowAnonymous or AuthorizationPolicy or IAuthorizationRequirementData))
            {
                return;
            }
            var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
            var readOnly = methods.Count > 0 && methods.All(m => m is "GET" or "HEAD" or "OPTIONS");
            endpoint.Metadata.Add(new AuthorizeAttribute(readOnly ? Scopes.Read : Scopes.Write));
        });
        return builder;
    }
}
