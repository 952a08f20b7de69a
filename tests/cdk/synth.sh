#!/bin/sh
# Re-synthesize the CDK app into cdk.out: the templates and manifest.json only (no asset
# bundles, no tree or stack-trace metadata). Needs node and network for `npm install`.
set -eu
cd "$(dirname "$0")/app"
[ -d node_modules ] || npm install --no-audit --no-fund
rm -rf ../cdk.out.new
CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth --no-notices --quiet --output ../cdk.out.new >/dev/null
rm -rf ../cdk.out && mkdir ../cdk.out
cp ../cdk.out.new/manifest.json ../cdk.out.new/*.template.json ../cdk.out/
for stage in ../cdk.out.new/assembly-*/; do  # CDK stages: cloud assemblies of their own
  name=$(basename "$stage")
  mkdir "../cdk.out/$name"
  cp "$stage/manifest.json" "$stage"/*.template.json "../cdk.out/$name/"
done
rm -rf ../cdk.out.new
