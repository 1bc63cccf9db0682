# The trainer image for the GPU Container Apps job: `sslrec train-worker` with TorchSharp's CUDA backend.
# TorchSharp-cuda-linux bundles the CUDA runtime libraries; only the NVIDIA driver comes from the host
# (the serverless GPU workload profile provides it). Ubuntu 24.04's libstdc++ has GLIBCXX_3.4.32, so the
# Debian 12 compatibility step (build/torchsharp-compat.sh) is skipped automatically.
#
# Build from the repository root (needs the public NuGet registry for TorchSharp-cuda-linux); the
# root .dockerignore keeps .git, bin/, obj/, .tools/ and other generated output out of the context:
#   docker build -f infra/trainer.Dockerfile -t <registry>.azurecr.io/sslrec-trainer:<tag> .
# This cannot be built in SslRec's own CI (no Docker engine, no CUDA packages there): see docs/deploy.md.
# tests/SslRec.Tests/Infra/TrainerImageTests.cs checks the restore layer, the user and .dockerignore.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src

# Restore layer: only what restore reads, so editing sources does not download the multi-GB CUDA
# packages again. These are SslRec.Cli and every project it references, transitively (not Functions).
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/SslRec.Core/SslRec.Core.csproj src/SslRec.Core/
COPY src/SslRec.Training/SslRec.Training.csproj src/SslRec.Training/
COPY src/SslRec.Pipeline/SslRec.Pipeline.csproj src/SslRec.Pipeline/
COPY src/SslRec.LocalHost/SslRec.LocalHost.csproj src/SslRec.LocalHost/
COPY src/SslRec.Worker/SslRec.Worker.csproj src/SslRec.Worker/
COPY src/SslRec.Experiments/SslRec.Experiments.csproj src/SslRec.Experiments/
COPY src/SslRec.Cli/SslRec.Cli.csproj src/SslRec.Cli/
RUN dotnet restore src/SslRec.Cli -p:TorchBackend=cuda

# host.json: SslRec.Cli copies it next to sslrec.dll. TorchBackend again, or the build would look for
# the CPU package that was never restored.
COPY host.json ./
COPY src/ src/
RUN dotnet publish src/SslRec.Cli -c Release -p:TorchBackend=cuda --no-restore -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0-noble
WORKDIR /app
# Owned by root and world-readable (publish writes with umask 022): the app user runs it, cannot alter it.
COPY --from=build /app .
ENV DOTNET_gcServer=1
# The image's non-root `app` user (home /home/app). Nothing is written to /app at run time: the train
# stage works under Path.GetTempPath(), i.e. /tmp (mode 1777), and caches (e.g. CUDA's) go under $HOME.
USER $APP_UID
ENTRYPOINT ["dotnet", "sslrec.dll"]
CMD ["train-worker", "--device", "cuda"]
