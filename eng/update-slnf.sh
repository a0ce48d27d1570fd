#!/usr/bin/env bash
# Rewrites CryptoPipeline.Offline.slnf from CryptoPipeline.sln: every project except the Aspire
# AppHost (which restores only where the Aspire packages are available). Run after `dotnet sln add`.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet sln CryptoPipeline.sln list | grep '\.csproj$' | grep -v 'AppHost' | sort | python3 -c '
import json, sys
projects = [line.strip() for line in sys.stdin if line.strip()]
doc = {"solution": {"path": "CryptoPipeline.sln", "projects": projects}}
open("CryptoPipeline.Offline.slnf", "w").write(json.dumps(doc, indent=2) + "\n")
'
echo "CryptoPipeline.Offline.slnf: $(grep -c csproj CryptoPipeline.Offline.slnf) projects"
