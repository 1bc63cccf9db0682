# The trainer image for the GPU Container Apps job: `sslrec train-worker` with TorchSharp's CUDA backend.
# TorchSharp-cuda-linux bundles the CUDA runtime libraries; only the NVIDIA driver comes from the host
# (the serverless GPU workload profile provides it). Ubuntu 24.04's libstdc++ has GLIBCXX_3.4.32, so the
# Debian 12 compatibility step (build/torchsharp-compat.sh) is skipped automatically.
#
# Build from the repository root (needs the public NuGet registry for TorchSharp-cuda-linux):
#   docker build -f infra/trainer.Dockerfile -t <registry>.azurecr.io/sslrec-trainer:<tag> .
# This cannot be built in SslRec's own CI (no Docker engine, no CUDA packages there): see docs/deploy.md.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/SslRec.Cli -c Release -p:TorchBackend=cuda -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0-noble
WORKDIR /app
COPY --from=build /app .
ENV DOTNET_gcServer=1
ENTRYPOINT ["dotnet", "sslrec.dll"]
CMD ["train-worker", "--device", "cuda"]
