using Admission;
using Admission.Plugins;
using Admission.Webhooks;
using ApiServer.Authentication;
using ApiServer.Authorization;
using ApiServer.Authorization.Rbac;
using ApiServer.Controllers;
using ApiServer.Discovery;
using ApiServer.Endpoints;
using ApiServer.Endpoints.Handlers;
using ApiServer.Health;
using ApiServer.OpenApi;
using ApiServer.Options;
using ApiServer.Registry;
using ApiServer.Registry.Reviews;
using ApiServer.Webhooks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Storage;
using Storage.Cacher;
using Storage.Codec;
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
            .AddAuthenticationChain(options)
            .AddAuthorizationChain()
            .AddEndpoints()
            .AddControllers(options);
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
        // Everything above the etcd3 store sees JSON; etcd holds what --storage-media-type says.
        services.TryAddSingleton(sp => StorageEncoding.For(sp.GetRequiredService<ApiServerOptions>().Etcd));
        services.TryAddSingleton<CorruptObjectLog>();
        services.TryAddSingleton<IStorage>(sp =>
        {
            var store = new EncodingStore(new Etcd3Store(sp.GetRequiredService<EtcdClient>()), sp.GetRequiredService<StorageEncoding>());
            store.CorruptObject += sp.GetRequiredService<CorruptObjectLog>().Report;
            return store;
        });
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
        services.TryAddSingleton<IAdmissionObjects, AdmissionObjects>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, NamespaceLifecycle>());

        // Built-in plugins that both mutate and validate are one instance in both roles.
        services.TryAddSingleton<ServiceAccountAdmission>();
        services.TryAddSingleton<LimitRanger>();
        services.TryAddSingleton<PriorityAdmission>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMutatingAdmissionPlugin, ServiceAccountAdmission>(sp => sp.GetRequiredService<ServiceAccountAdmission>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, ServiceAccountAdmission>(sp => sp.GetRequiredService<ServiceAccountAdmission>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMutatingAdmissionPlugin, LimitRanger>(sp => sp.GetRequiredService<LimitRanger>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, LimitRanger>(sp => sp.GetRequiredService<LimitRanger>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMutatingAdmissionPlugin, PriorityAdmission>(sp => sp.GetRequiredService<PriorityAdmission>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, PriorityAdmission>(sp => sp.GetRequiredService<PriorityAdmission>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMutatingAdmissionPlugin, DefaultTolerationSeconds>(sp =>
        {
            var admission = sp.GetRequiredService<ApiServerOptions>().Admission;
            return new DefaultTolerationSeconds(admission.DefaultNotReadyTolerationSeconds, admission.DefaultUnreachableTolerationSeconds);
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMutatingAdmissionPlugin, DefaultStorageClass>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, ResourceQuotaAdmission>());

        // Webhooks: configurations followed by a watch (also a hosted service), services resolved through their endpoints.
        services.TryAddSingleton<WebhookConfigurationCache>();
        services.TryAddSingleton<IWebhookSource>(sp => sp.GetRequiredService<WebhookConfigurationCache>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookConfigurationCache>());
        services.TryAddSingleton<IWebhookServiceResolver, EndpointsServiceResolver>();
        services.TryAddSingleton<WebhookClient>();
        services.TryAddSingleton<WebhookMatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMutatingAdmissionPlugin, MutatingWebhookPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, ValidatingWebhookPlugin>());

        services.TryAddSingleton(sp => new AdmissionChain(
            sp.GetServices<IMutatingAdmissionPlugin>(),
            sp.GetServices<IValidatingAdmissionPlugin>(),
            sp.GetRequiredService<ApiServerOptions>().Admission.EnabledPlugins));
        return services;
    }

    public static IServiceCollection AddAuthenticationChain(this IServiceCollection services, ApiServerOptions options)
    {
        services.TryAddSingleton<IObjectGetter, RegistryObjectGetter>();
        services.TryAddSingleton(sp => new ServiceAccountTokens(
            sp.GetRequiredService<ApiServerOptions>().Authentication, sp.GetRequiredService<IObjectGetter>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            var authentication = sp.GetRequiredService<ApiServerOptions>().Authentication;
            var tokens = new List<ITokenAuthenticator>();
            if (authentication.TokenAuthFile is { } file)
            {
                tokens.Add(new TokenFileAuthenticator(file));
            }

            tokens.Add(sp.GetRequiredService<ServiceAccountTokens>());
            return new BearerTokenAuthenticator(tokens);
        });

        // ASP.NET Core authentication: kube's union of client certificates (when --client-ca-file is
        // given) and bearer tokens, in that order, as the default scheme (Authentication/KubernetesAuthentication).
        var clientCaFile = options.Authentication.ClientCaFile;
        var authentication = services.AddAuthentication(KubernetesAuthentication.Scheme);
        var schemes = new List<string>();
        if (clientCaFile is not null)
        {
            authentication.AddCertificate(KubernetesAuthentication.CertificateScheme, o => ClientCertificates.Configure(o, clientCaFile))
                .AddCertificateCache(o =>
                {
                    o.CacheSize = ClientCertificates.CacheSize;
                    o.CacheEntryExpiration = ClientCertificates.CacheLifetime;
                });
            // The package's cache, keeping verified certificates only (kube keeps no refusals).
            services.Replace(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Authentication.Certificate.ICertificateValidationCache, ClientCertificates.VerifiedOnlyCache>());
            schemes.Add(KubernetesAuthentication.CertificateScheme);
        }

        authentication.AddScheme<AuthenticationSchemeOptions, KubernetesAuthentication.BearerTokenHandler>(KubernetesAuthentication.BearerScheme, null);
        schemes.Add(KubernetesAuthentication.BearerScheme);
        authentication.AddScheme<KubernetesAuthentication.UnionOptions, KubernetesAuthentication.UnionHandler>(KubernetesAuthentication.Scheme, o => o.Schemes.AddRange(schemes));
        return services;
    }

    public static IServiceCollection AddAuthorizationChain(this IServiceCollection services)
    {
        services.TryAddSingleton<RbacPolicyCache>();
        services.TryAddSingleton<IRbacPolicySource>(sp => sp.GetRequiredService<RbacPolicyCache>());
        services.TryAddSingleton<RbacAuthorizer>();
        services.TryAddSingleton<ApiServer.Authorization.Node.NodeGraph>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, RbacEscalationCheck>());
        // The certificate plugins ask the authorizer about signers.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, CertificateApprovalAdmission>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, CertificateSigningAdmission>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidatingAdmissionPlugin, CertificateSubjectRestrictionAdmission>());
        services.TryAddSingleton(sp =>
        {
            var modes = sp.GetRequiredService<ApiServerOptions>().Authorization.EffectiveModes.Select<string, IAuthorizer>(mode => mode switch
            {
                "AlwaysAllow" => new AlwaysAllowAuthorizer(),
                "AlwaysDeny" => new AlwaysDenyAuthorizer(),
                "RBAC" => sp.GetRequiredService<RbacAuthorizer>(),
                "Node" => new ApiServer.Authorization.Node.NodeAuthorizer(sp.GetRequiredService<ApiServer.Authorization.Node.NodeGraph>()),
                _ => throw new InvalidOperationException($"authorization mode {mode} is not supported by this server"),
            });
            return new AuthorizerChain(modes.ToArray());
        });
        return services;
    }

    public static IServiceCollection AddEndpoints(this IServiceCollection services)
    {
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<ApiServerOptions>();
            var address = options.AdvertiseAddress.Length > 0 ? options.AdvertiseAddress : "127.0.0.1";
            return new DiscoveryEndpoints(sp.GetRequiredService<RegistryCatalog>(), $"{address}:{options.SecureServing.SecurePort}");
        });
        services.TryAddSingleton(sp => new OpenApiDocuments(sp.GetRequiredService<ResourceTable>(), sp.GetRequiredService<RegistryCatalog>()));
        services.TryAddSingleton<StartupState>();
        services.TryAddSingleton<BackgroundLoops>();
        services.TryAddSingleton<HealthEndpoints>();
        services.TryAddSingleton<VersionInfo>();
        services.TryAddSingleton<WatchHandler>();
        services.TryAddSingleton<PatchHandler>();
        services.TryAddSingleton<PodBinder>();
        services.TryAddSingleton<PodEvictor>();
        services.TryAddSingleton<ComponentStatuses>();
        services.TryAddSingleton<ReviewRegistry>();
        services.TryAddSingleton<TokenRequestRegistry>();
        services.TryAddSingleton(sp => new ResourceHandlerOptions(sp.GetRequiredService<ApiServerOptions>().SecureServing.MaxRequestBodyBytes));
        services.TryAddSingleton<ScaleHandler>();
        services.TryAddSingleton<ApiServer.Kubelet.KubeletConnection>();
        services.TryAddSingleton<PodLogHandler>();
        services.TryAddSingleton<ApiServer.Kubelet.PodConnectHandler>();
        services.TryAddSingleton<ApiServer.Kubelet.NodeProxyHandler>();
        services.TryAddSingleton<ResourceHandler>();
        return services;
    }

    public static IServiceCollection AddControllers(this IServiceCollection services, ApiServerOptions options)
    {
        services.AddHostedService<WatchCacheService>();
        services.AddHostedService<BootstrapNamespaces>();
        services.AddHostedService<EtcdCompaction>();
        // kube-controller-manager's controllers built in unless --builtin-controllers turns them off.
        var builtin = options.BuiltinControllers;
        if (builtin.Contains(BuiltinControllers.Namespace))
        {
            services.AddHostedService<NamespaceController>();
        }

        if (builtin.Contains(BuiltinControllers.ServiceAccount))
        {
            services.AddHostedService<NamespaceDefaultsController>();
        }

        if (builtin.Contains(BuiltinControllers.ResourceQuota))
        {
            services.AddHostedService<ResourceQuotaController>();
        }

        services.AddHostedService<SystemPriorityClasses>();
        services.AddHostedService<KubernetesService>();
        services.AddHostedService<ServiceIPRepair>();
        services.AddHostedService(sp => sp.GetRequiredService<RbacPolicyCache>());
        services.AddHostedService(sp => sp.GetRequiredService<ApiServer.Authorization.Node.NodeGraph>());
        services.AddHostedService<RbacBootstrap>();
        services.AddHostedService<ClusterRoleAggregation>();
        services.AddHostedService<CustomResources.CustomResourceDefinitionController>();
        return services;
    }
}
