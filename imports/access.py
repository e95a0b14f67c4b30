"""Who may import: admins (superusers) only, everywhere.

Imports read and write the households of every kelurahan with full NIK and KK numbers (the
preview, the error file, the uploaded file), so they are not scoped or masked per user: one
rule instead, used by every view of `imports/urls.py` (`admins_only`), the menu and the
admin's "Impor" button. A staff account holding the import permissions is refused too (fail
closed); officers register members on the site's own pages.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from kkmp.access import is_admin

may_import = is_admin  # the same rule as personal data in the admin (kkmp/access.py)


def admins_only(view):
    """The view for admins only: anyone else signed in gets a 403 (the caller's
    `login_required` sends the signed-out to the sign-in page first)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not may_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    checked.admins_only = True
    return checked
