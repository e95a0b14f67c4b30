"""What a staff account may grant: only roles, permissions and kelurahan it holds itself.

The admin's account and group pages use these querysets for their choices and for the accounts
and groups a staff member may open at all, so that nobody can give (to others or to themselves)
more than they have. Superusers hold everything.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from .models import Kelurahan

# The names of the shared role groups (`setup_roles`), whose powers are the product's and which
# only superusers change: filled by the app that defines the roles (`members.apps.ready`).
SHARED_ROLE_GROUPS = set()


def grantable_permissions(editor):
    if editor.is_superuser:
        return Permission.objects.all()
    return Permission.objects.filter(Q(user=editor) | Q(group__user=editor)).distinct()


def grantable_groups(editor):
    """The editor's own groups (a role is granted by adding its group)."""
    if editor.is_superuser:
        return Group.objects.all()
    return Group.objects.filter(user=editor)


def grantable_kelurahan(editor):
    """The kelurahan the editor is assigned to."""
    if editor.is_superuser:
        return Kelurahan.objects.all()
    return Kelurahan.objects.filter(officers=editor)


def editable_groups(editor):
    """Groups a staff member may change or delete: not the shared role groups (`setup_roles`:
    their powers are the product's, for superusers only), none holding a permission the editor
    lacks, and none with an account the editor may not manage. Changing a group changes every
    member's powers, so "grant only what you hold" must hold for each of them."""
    if editor.is_superuser:
        return Group.objects.all()
    return (
        Group.objects.exclude(name__in=sorted(SHARED_ROLE_GROUPS))
        .exclude(permissions__in=Permission.objects.exclude(pk__in=grantable_permissions(editor)))
        .exclude(user__in=get_user_model().objects.exclude(pk__in=manageable_users(editor)))
    )


def manageable_users(editor):
    """Accounts that hold nothing beyond what the editor holds: no superusers, and no group,
    permission or kelurahan the editor could not grant. Anything else would let the editor
    take over (or strip) powers they do not have. An account with region grants (a reviewer's
    provinces, kabupaten/kota, kecamatan) is left to superusers, who alone give them."""
    users = get_user_model().objects.all()
    if editor.is_superuser:
        return users
    return (
        users.filter(is_superuser=False)
        .exclude(groups__in=Group.objects.exclude(pk__in=grantable_groups(editor)))
        .exclude(user_permissions__in=Permission.objects.exclude(pk__in=grantable_permissions(editor)))
        .exclude(kelurahan_assignments__in=Kelurahan.objects.exclude(pk__in=grantable_kelurahan(editor)))
        .exclude(region_grants__isnull=False)  # a reviewer's regions: superusers only
    )
