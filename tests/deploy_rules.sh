#!/bin/bash
# SPDX-License-Identifier: MIT
# The Prometheus alerting rules in deploy/prometheus: promtool checks
# them and runs their unit tests (fintrace-rules.test.yml).
# Exit 77 (skipped) when promtool is missing, except under CI=true.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../deploy/prometheus" && pwd)"

if ! command -v promtool >/dev/null; then
	if [[ ${CI:-} == true ]]; then
		echo "deploy_rules: promtool missing (Debian: prometheus)" >&2
		exit 1
	fi
	echo "deploy_rules: skipped: promtool missing (Debian: prometheus)"
	exit 77
fi
cd "$dir"
promtool check rules fintrace-rules.yml
promtool test rules fintrace-rules.test.yml
