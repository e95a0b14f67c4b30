"""Every project template: a `{# … #}` comment is one line only in Django, so one that spans
lines is shown to the user as text."""

from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_no_template_has_a_comment_tag_spanning_lines():
    spanning = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            start = line.rfind("{#")
            if start != -1 and "#}" not in line[start:]:
                spanning.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert not spanning, f"use {{% comment %}} for a comment of several lines: {spanning}"
