#!/bin/bash
# SPDX-License-Identifier: MIT
# The systemd units in deploy/: systemd-analyze verify, with ExecStart
# pointed at the binary given as $1 (verify wants it to exist) and the
# template instantiated for the loopback interface. The Kubernetes
# manifest is parsed when PyYAML is there.
# Exit 77 (skipped) when systemd-analyze is missing, except under CI=true.
set -euo pipefail
deploy="$(cd "$(dirname "$0")/../deploy" && pwd)"
bin=${1:?usage: deploy_units.sh FINTRACE_BINARY}

if ! command -v systemd-analyze >/dev/null; then
	if [[ ${CI:-} == true ]]; then
		echo "deploy_units: systemd-analyze missing (Debian: systemd)" >&2
		exit 1
	fi
	echo "deploy_units: skipped: systemd-analyze missing (Debian: systemd)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/local/bin/fintrace#$bin#" "$deploy/fintrace-kernel.service" \
	>"$tmp/fintrace-kernel.service"
sed "s#/usr/local/bin/fintrace#$bin#" "$deploy/fintrace-live@.service" \
	>"$tmp/fintrace-live@.service"
cp "$tmp/fintrace-live@.service" "$tmp/fintrace-live@lo.service"
# --man=no: the manual page need not be installed where this runs
out=$(systemd-analyze verify --man=no "$tmp/fintrace-kernel.service" \
	"$tmp/fintrace-live@lo.service" 2>&1) || {
	echo "$out" >&2
	exit 1
}
# verify exits 0 on some warnings (unknown settings): none is allowed
if [[ -n $out ]]; then
	echo "$out" >&2
	exit 1
fi
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$deploy/kubernetes/daemonset.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = next(d for d in docs if d["kind"] == "DaemonSet")
pod = ds["spec"]["template"]["spec"]
assert pod["hostNetwork"] and pod["hostPID"], "host namespaces"
c = pod["containers"][0]
mounts = {m["mountPath"]: m.get("readOnly") for m in c["volumeMounts"]}
for path in ("/sys/kernel/btf", "/sys/fs/cgroup"):
    assert mounts.get(path) is True, path + " must be mounted read-only"
ann = ds["spec"]["template"]["metadata"]["annotations"]
assert ann["prometheus.io/scrape"] == "true"
assert ann["prometheus.io/port"] == "9781"
print("daemonset.yaml: ok")
PY
fi
echo "deploy_units: ok"
