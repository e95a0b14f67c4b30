"""The one rule for what only admins may do: personal data in the admin, and imports."""


def is_admin(user):
    """An active superuser (DKUMKMP's administrator)."""
    return bool(user and user.is_active and user.is_superuser)
