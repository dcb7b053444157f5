using Admission;
using Admission.Plugins;
using ApiServer.Authentication;
using ApiServer.Authorization;
using ApiServer.Controllers;
using ApiServer.Discovery;
using ApiServer.Endpoints;
using ApiServer.Endpoints.Handlers;
using ApiServer.Health;
using ApiServer.OpenApi;
using ApiServer.Options;
using ApiServer.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Storage;
using Storage.Cacher;
using Storage.Etcd;
using Storage.Etcd3;

namespace ApiServer.Hosting;

/// <summary>
/// The server's composition, one small step per layer, each with TryAdd so tests can swap a part
/// (a different IStorage, a fake authenticator) before calling AddApiServer.
/// </summary>
internal static class ApiServerServiceCollectionExtensions
{
    public static IServiceCollection AddApiServer(this IServiceCollection services, ApiServerOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        return services
            .AddEtcdStorage()
            .AddRegistry()
            .AddAdmission()
            .AddAuthenticationChain()
            .AddAuthorizationChain()
            .AddEndpoints()
            .AddControllers();
    }

    public static IServiceCollection AddEtcdStorage(this IServiceCollection services)
    {
        services.TryAddSingleton(sp =>
        {
            var etcd = sp.GetRequiredService<ApiServerOptions>().Etcd;
            return new EtcdClient(new EtcdClientOptions
            {
                Endpoints = etcd.Servers.ToArray(),
                CaFile = etcd.CaFile,
                CertFile = etcd.CertFile,
                KeyFile = etcd.KeyFile,
            });
        });
        services.TryAddSingleton<IStorage>(sp => new Etcd3Store(sp.GetRequiredService<EtcdClient>()));
        // The watch caches' single etcd stream; RegistryCatalog registers a cache per resource on it.
        services.TryAddSingleton(sp => new CacheReflector(sp.GetRequiredService<IStorage>()));
        return services;
    }

    public static IServiceCollection AddRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => ResourceTable.LoadBuiltin());
        services.TryAddSingleton(sp => new StorageKeys(sp.GetRequiredService<ApiServerOptions>().Etcd.Prefix));
        services.TryAddSingleton<RegistryCatalog>();
        // Admission needs the registry (namespace lookups) and the registry needs admission.
        services.TryAddSingleton(sp => new Lazy<RegistryCatalog>(sp.GetRequiredService<RegistryCatalog>));
        return services;
    }

    public static IServiceCollection AddAdmission(this IServiceCollection services)
    {
        services.TryAddSingleton<INamespaceLookup, NamespaceLookup>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, NamespaceLifecycle>());
        services.TryAddSingleton(sp => new AdmissionChain(
            sp.GetServices<IMutatingAdmissionPlugin>(),
            sp.GetServices<IValidatingAdmissionPlugin>()));
        return services;
    }

    public static IServiceCollection AddAuthenticationChain(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthenticator, X509Authenticator>(sp =>
        {
            var caFile = sp.GetRequiredService<ApiServerOptions>().Authentication.ClientCaFile
                ?? throw new InvalidOperationException("--client-ca-file is required for client-certificate authentication");
            return new X509Authenticator(caFile, sp.GetRequiredService<TimeProvider>());
        }));
        return services;
    }

    public static IServiceCollection AddAuthorizationChain(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizer, AlwaysAllowAuthorizer>());
        return services;
    }

    public static IServiceCollection AddEndpoints(this IServiceCollection services)
    {
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<ApiServerOptions>();
            var address = options.AdvertiseAddress.Length > 0 ? options.AdvertiseAddress : "127.0.0.1";
            return new DiscoveryDocuments(sp.GetRequiredService<ResourceTable>(), $"{address}:{options.SecureServing.SecurePort}");
        });
        services.TryAddSingleton<DiscoveryEndpoints>();
        services.TryAddSingleton(sp => new OpenApiDocuments(sp.GetRequiredService<ResourceTable>()));
        services.TryAddSingleton<StartupState>();
        services.TryAddSingleton<HealthEndpoints>();
        services.TryAddSingleton<VersionInfo>();
        services.TryAddSingleton<WatchHandler>();
        services.TryAddSingleton<PatchHandler>();
        services.TryAddSingleton<PodBinder>();
        services.TryAddSingleton<ResourceHandler>();
        services.TryAddSingleton<ApiRouter>();
        return services;
    }

    public static IServiceCollection AddControllers(this IServiceCollection services)
    {
        services.AddHostedService<WatchCacheService>();
        services.AddHostedService<BootstrapNamespaces>();
        services.AddHostedService<NamespaceController>();
        services.AddHostedService<EtcdCompaction>();
        return services;
    }
}
