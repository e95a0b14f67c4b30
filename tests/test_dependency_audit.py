"""The dependency audit's verdict (.ci/audit_dependencies.py) on pip-audit JSON reports."""

import datetime
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / ".ci" / "audit_dependencies.py")
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)

VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["5.2.99"], "description": "x"}


def run(tmp_path, dependencies, accepted="", today="2026-11-29"):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    allow = tmp_path / "accepted.toml"
    allow.write_text(accepted)
    return audit.main(["--report", str(report), "--accepted", str(allow), "--today", today])


def test_a_clean_report_passes(tmp_path):
    assert run(tmp_path, [{"name": "django", "version": "5.2.19", "vulns": []}]) == 0


def test_a_known_vulnerability_fails_the_audit(tmp_path, capsys):
    assert run(tmp_path, [{"name": "django", "version": "5.2.19", "vulns": [VULN]}]) == 1
    assert "VULNERABLE: django 5.2.19: PYSEC-2099-1 (fixed in 5.2.99)" in capsys.readouterr().out


@pytest.mark.parametrize("listed_as", ["PYSEC-2099-1", "CVE-2099-0001"])
def test_an_accepted_vulnerability_passes_until_its_expiry(tmp_path, listed_as):
    accepted = f'[[accepted]]\nid = "{listed_as}"\nreason = "not reachable from our code"\nexpires = 2027-01-31\n'
    dependencies = [{"name": "django", "version": "5.2.19", "vulns": [VULN]}]
    assert run(tmp_path, dependencies, accepted) == 0
    assert run(tmp_path, dependencies, accepted, today="2027-02-01") == 1


def test_an_acceptance_without_reason_or_expiry_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="lacks expires, reason"):
        run(tmp_path, [], '[[accepted]]\nid = "PYSEC-2099-1"\n')


def test_dependencies_that_could_not_be_looked_up_give_no_verdict(tmp_path, capsys):
    skipped = {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"}
    assert run(tmp_path, [skipped]) == audit.UNREACHABLE
    assert "NOT AUDITED" in capsys.readouterr().out
    # ... but a real finding elsewhere still fails.
    assert run(tmp_path, [skipped, {"name": "tablib", "version": "3.10.0", "vulns": [VULN]}]) == 1


def test_the_checked_in_acceptance_list_is_valid_and_unexpired():
    for entry in audit.load_accepted(ROOT / ".ci" / "known-vulnerabilities.toml"):
        assert entry["expires"] >= datetime.date.today(), entry["id"]
