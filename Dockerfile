# syntax=docker/dockerfile:1
# The C# control plane as one container image: docker build -t localhost/kube-apiserver-csharp:latest .
# It holds every program in /app: the entrypoint runs the API server with kube-apiserver's flags (the
# static pod in manifests/kube-apiserver.yaml); `dotnet /app/Scheduler.dll` runs the scheduler
# (manifests/kube-scheduler.yaml) and `dotnet /app/NodeSimulator.dll` the simulated nodes; the controller
# manager has an image of its own (the kube-controller-manager target below).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/ApiServer -c Release -o /app -nologo && \
    dotnet publish src/Scheduler -c Release -o /app -nologo && \
    dotnet publish src/NodeSimulator -c Release -o /app -nologo && \
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
# The API server; the scheduler's health endpoint; the simulated kubelets' endpoint.
EXPOSE 6443 10259 10250
ENTRYPOINT ["dotnet", "/app/ApiServer.dll"]
