#!/usr/bin/env bash
# Publishes what the GPU machine runs — the kernel and engine tests (xunit v3 executables) and the infermesh CLI,
# self-contained for linux-x64, into one folder (they share the runtime files) — and packs it for a device call.
# The device tool sends the session's checkout, so the pack goes to .devcarry/gpu in it (git-ignored
# there) together with the script the device runs. Usage: tools/device/publish.sh [carry-folder]
# Then call the device with carry [".devcarry/gpu"] and command "bash .devcarry/gpu/gpu-tests.sh [tests|bench|all]".
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
carry=${1:-$repo/.devcarry/gpu}
stage=$repo/artifacts/device
rm -rf "$stage"
mkdir -p "$stage/app" "$carry"
cd "$repo"
dotnet publish tests/Kernels.Tests -c Release -r linux-x64 --self-contained -p:UseAppHost=true -p:DebugType=none -p:SatelliteResourceLanguages=en -o "$stage/app" --nologo -v q
dotnet publish tests/Engine.Tests -c Release -r linux-x64 --self-contained -p:UseAppHost=true -p:DebugType=none -p:SatelliteResourceLanguages=en -o "$stage/app" --nologo -v q
dotnet publish src/Cli -c Release -r linux-x64 --self-contained -p:DebugType=none -p:SatelliteResourceLanguages=en -o "$stage/app" --nologo -v q
git rev-parse --short HEAD > "$stage/app/commit.txt"
git status --porcelain | grep -q . && echo "(uncommitted changes)" >> "$stage/app/commit.txt" || true
# Leave out what the GPU machine never uses, to stay within the device tool's 64 MiB: the embedded default model
# (benchmarks write their own), code-coverage collectors, other platforms' native folders, debugger support.
XZ_OPT=-6 tar -cJf "$carry/bundle.tar.xz" -C "$stage" \
  --exclude=app/models --exclude=app/CodeCoverage --exclude=app/alpine --exclude=app/ubuntu --exclude=app/macos \
  --exclude='app/libmscordaccore.so' --exclude='app/libmscordbi.so' --exclude='app/createdump' app
cp tools/device/gpu-tests.sh "$carry/"
du -sh "$carry"/*
