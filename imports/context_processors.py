"""What the menu offers the signed-in user of the imports: `may_import` (imports/access.py),
for every page (a context processor of this app, so the ground layer need not know it)."""

from .access import may_import


def powers(request):
    return {"may_import": may_import(getattr(request, "user", None))}
