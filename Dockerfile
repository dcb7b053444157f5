# syntax=docker/dockerfile:1
# The C# kube-apiserver as a container image: docker build -t localhost/kube-apiserver-csharp:latest .
# Run it with kube-apiserver's flags, e.g. as the static pod in manifests/kube-apiserver.yaml.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/ApiServer -c Release -o /app -nologo && \
    dotnet publish src/ControllerManager -c Release -o /kcm -nologo

# The controller manager: docker build --target kube-controller-manager -t localhost/kube-controller-manager-csharp:latest .
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS kube-controller-manager
WORKDIR /app
COPY --from=build /kcm .
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/ControllerManager.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
# The image's non-root "app" user (UID 1654).
USER $APP_UID
EXPOSE 6443
ENTRYPOINT ["dotnet", "/app/ApiServer.dll"]
