using System.Security.Cryptography.X509Certificates;
using ApiServer.Endpoints;
using ApiServer.Filters;
using ApiServer.OpenApi;
using ApiServer.Options;
using ApiServer.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiServer.Hosting;

/// <summary>
/// Builds the web host: Kestrel on --bind-address:--secure-port with the serving certificate,
/// HTTP/1.1 and HTTP/2, asking for (not requiring) a client certificate; then the filter chain in
/// kube-apiserver's order (DefaultBuildHandlerChain) ending in the endpoints.
/// </summary>
internal static class ApiServerHost
{
    public static WebApplication Build(ApiServerOptions options, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        // In-flight requests get this long to finish when the process is asked to stop.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Bodies are limited by the handlers (413 as a Status); watches are long-running.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            // Warning texts may name non-ASCII fields; Go's net/http sends such header bytes as UTF-8.
            // (A selector that answers UTF-8 for the Warning header alone still wrote '?' over HTTP/1.1
            // with TLS in our measurements; every other header is ASCII, which UTF-8 writes the same.)
            kestrel.ResponseHeaderEncodingSelector = _ => System.Text.Encoding.UTF8;
            kestrel.Listen(options.SecureServing.BindAddress, options.SecureServing.SecurePort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = LoadServingCertificate(options.SecureServing);
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    // The chain is verified against --client-ca-file by the Certificate authentication
                    // scheme, so that a bad certificate answers 401 with a Status rather than a failed handshake.
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            });
        });

        configureServices?.Invoke(builder.Services);
        builder.Services.AddApiServer(options);

        var app = builder.Build();
        app.UseMiddleware<ErrorFilter>();
        app.UseMiddleware<RawPathFilter>();
        // Routing picks the endpoint (Endpoints/ApiEndpoints) first, so the filters read its metadata;
        // it runs last, after authorization, as kube's mux runs after its filter chain.
        app.UseRouting();
        app.UseMiddleware<RequestInfoFilter>();
        // The default scheme (kube's union of certificates, tokens and anonymous) puts the user on
        // HttpContext.User; the filter answers 401 when there is none.
        app.UseAuthentication();
        app.UseMiddleware<AuthenticationFilter>();
        app.UseMiddleware<ImpersonationFilter>();
        app.UseMiddleware<AuthorizationFilter>();
        // A browsable page over the OpenAPI documents, behind the same authentication and authorization.
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "swagger-ui";
            ui.DocumentTitle = "Kubernetes API";
            foreach (var (key, _) in OpenApiDocuments.DocumentKeys(app.Services.GetRequiredService<ResourceTable>()))
            {
                ui.SwaggerEndpoint("/openapi/v3/" + key, key);
            }
        });
        app.MapKubernetesApi();
        return app;
    }

    private static X509Certificate2 LoadServingCertificate(SecureServingOptions options)
    {
        var certificate = X509Certificate2.CreateFromPemFile(options.TlsCertFile!, options.TlsPrivateKeyFile!);
        // SslStream needs the key in a form it can use on Linux; a PKCS#12 round trip provides it.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
