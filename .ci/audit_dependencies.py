#!/usr/bin/env python3
"""Dependency vulnerability audit: pip-audit on requirements.txt, judged against
.ci/known-vulnerabilities.toml (each accepted advisory has a reason and an expiry date).

Exit codes: 0 clean (or every finding accepted and unexpired), 1 a vulnerability that is not
accepted, or an acceptance past its expiry, 3 no verdict: the advisory service could not be
reached, or some dependency could not be looked up (and nothing else failed). `--report FILE` judges a pip-audit JSON report instead of running pip-audit.
"""

import argparse
import datetime
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = 3


def load_accepted(path):
    entries = tomllib.loads(Path(path).read_text()).get("accepted", [])
    for entry in entries:
        missing = {"id", "reason", "expires"} - entry.keys()
        if missing:
            raise SystemExit(f"{path}: entry {entry.get('id', '?')} lacks {', '.join(sorted(missing))}")
    return entries


def judge(report, accepted, today):
    """Return (failures, accepted findings) as lines of text."""
    by_id = {entry["id"]: entry for entry in accepted}
    failures, waived = [], []
    for dependency in report.get("dependencies", []):
        for vuln in dependency.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            entry = next((by_id[i] for i in ids if i in by_id), None)
            what = f"{dependency['name']} {dependency.get('version', '?')}: {vuln['id']}"
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            if entry is None:
                failures.append(f"{what} (fixed in {fixes})")
            elif entry["expires"] < today:
                failures.append(f"{what}: accepted until {entry['expires']}, expired; look again")
            else:
                waived.append(f"{what}: accepted until {entry['expires']} ({entry['reason']})")
    return failures, waived


def run_pip_audit(pip_audit):
    result = subprocess.run(
        [pip_audit, "--requirement", str(ROOT / "requirements.txt"), "--no-deps",
         "--disable-pip", "--progress-spinner", "off", "--format", "json"],
        capture_output=True, text=True,
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stderr.strip()[-2000:], file=sys.stderr)
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip-audit", default="pip-audit")
    parser.add_argument("--report", help="a pip-audit JSON report to judge instead of running it")
    parser.add_argument("--accepted", default=str(ROOT / ".ci" / "known-vulnerabilities.toml"))
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=datetime.date.today())
    args = parser.parse_args(argv)

    accepted = load_accepted(args.accepted)
    report = json.loads(Path(args.report).read_text()) if args.report else run_pip_audit(args.pip_audit)
    if report is None:
        print("audit: the advisory service could not be reached; no verdict", file=sys.stderr)
        return UNREACHABLE
    failures, waived = judge(report, accepted, args.today)
    skipped = [d for d in report.get("dependencies", []) if d.get("skip_reason")]
    for dependency in skipped:
        print(f"NOT AUDITED: {dependency['skip_reason']}")
    for line in waived:
        print(f"accepted: {line}")
    for line in failures:
        print(f"VULNERABLE: {line}")
    checked = len(report.get("dependencies", [])) - len(skipped)
    print(
        f"audit: {checked} dependencies checked, {len(skipped)} could not be looked up, "
        f"{len(failures)} to fix, {len(waived)} accepted"
    )
    if failures:
        return 1
    return UNREACHABLE if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
