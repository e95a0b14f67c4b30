"""Staff can only grant the roles, permissions and kelurahan they hold themselves (issue 6)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from members.services import OFFICER_GROUP, REVIEWER_GROUP

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(roles, kelurahan_a):
    """A coordinator: an officer of kelurahan A who may manage accounts in the admin."""
    user = UserFactory(username="koordinator", is_staff=True)
    user.groups.add(roles[OFFICER_GROUP])
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="auth", codename__in=["view_user", "change_user", "view_group", "change_group"]
    ))
    kelurahan_a.officers.add(user)
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def newcomer(db):
    return UserFactory(username="calon.pengurus")


def change(client, user, **fields):
    data = {
        "username": user.username,
        "first_name": "", "last_name": "", "email": "",
        "is_active": "on",
        "date_joined_0": "2026-11-01", "date_joined_1": "08:00:00",
        "groups": [], "user_permissions": [], "kelurahan": [],
        # the reviewer's regions (superusers only: an empty formset)
        "region_grants-TOTAL_FORMS": "0", "region_grants-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return client.post(reverse("admin:auth_user_change", args=[user.pk]), data)


def test_staff_gives_an_account_their_own_role_and_kelurahan(staff_client, newcomer, roles, kelurahan_a):
    response = change(
        staff_client, newcomer, groups=[roles[OFFICER_GROUP].pk], kelurahan=[kelurahan_a.pk]
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(newcomer.groups.all()) == [roles[OFFICER_GROUP]]
    assert list(newcomer.kelurahan_assignments.all()) == [kelurahan_a]


@pytest.mark.parametrize("grant", ["reviewer_role", "other_kelurahan", "foreign_permission"])
def test_staff_cannot_grant_what_they_do_not_hold(staff_client, newcomer, roles, kelurahan_b, grant):
    fields = {
        "reviewer_role": {"groups": [roles[REVIEWER_GROUP].pk]},
        "other_kelurahan": {"kelurahan": [kelurahan_b.pk]},
        "foreign_permission": {
            "user_permissions": [Permission.objects.get(codename="delete_member").pk]
        },
    }[grant]
    response = change(staff_client, newcomer, **fields)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    newcomer.refresh_from_db()
    assert not newcomer.groups.exists()
    assert not newcomer.user_permissions.exists()
    assert not newcomer.kelurahan_assignments.exists()


def test_staff_cannot_make_anyone_a_superuser_not_even_themselves(staff_client, staff, newcomer):
    change(staff_client, newcomer, is_superuser="on", is_staff="on")
    change(staff_client, staff, is_superuser="on", is_staff="on",
           groups=list(staff.groups.values_list("pk", flat=True)),
           user_permissions=list(staff.user_permissions.values_list("pk", flat=True)))
    newcomer.refresh_from_db()
    staff.refresh_from_db()
    assert not newcomer.is_superuser
    assert not staff.is_superuser


def test_staff_cannot_open_accounts_holding_more_than_they_do(staff_client, admin_user, reviewer, kelurahan_b):
    other_officer = UserFactory(username="pengurus.b")
    kelurahan_b.officers.add(other_officer)
    listing = staff_client.get(reverse("admin:auth_user_changelist"))
    shown = {u.username for u in listing.context["cl"].result_list}
    assert "koordinator" in shown
    assert not shown & {"admin", "dkumkmp", "pengurus.b"}
    for user in (admin_user, reviewer, other_officer):
        response = change(staff_client, user, username="diambil-alih")
        assert response.status_code == 302  # "does not exist", back to the index
        user.refresh_from_db()
        assert user.username != "diambil-alih"


def test_staff_cannot_change_a_shared_role_group(staff_client, staff, roles):
    """The role groups are shared by every officer or reviewer of the city: a coordinator who
    changed "Pengurus KKMP" would change the powers of accounts they may not manage (issue 10)."""
    staff.user_permissions.add(Permission.objects.get(codename="delete_group"))
    group = roles[OFFICER_GROUP]
    before = set(group.permissions.values_list("pk", flat=True))
    change_user = Permission.objects.get(content_type__app_label="auth", codename="change_user").pk
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert staff_client.get(url).status_code == 302  # "does not exist", back to the index
    staff_client.post(url, {"name": group.name, "permissions": [change_user]})
    staff_client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"})
    group.refresh_from_db()
    assert set(group.permissions.values_list("pk", flat=True)) == before
    changelist = staff_client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert url not in changelist


def test_staff_cannot_widen_a_group_beyond_their_own_permissions(staff_client, staff):
    group = Group.objects.create(name="Tim lapangan")
    staff.groups.add(group)
    extra = Permission.objects.get(codename="view_all_kelurahan").pk
    response = staff_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": group.name, "permissions": [extra]},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not group.permissions.exists()


def test_staff_cannot_change_a_group_whose_accounts_they_may_not_manage(staff_client, admin_user):
    """Powers added to a group reach every account in it, so a group holding an account beyond
    the editor's reach (here a superuser) is not theirs to change."""
    group = Group.objects.create(name="Campuran")
    admin_user.groups.add(group)
    change_user = Permission.objects.get(content_type__app_label="auth", codename="change_user").pk
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert staff_client.get(url).status_code == 302
    staff_client.post(url, {"name": group.name, "permissions": [change_user]})
    assert not group.permissions.exists()


def test_staff_changes_a_group_they_fully_manage(staff_client, staff, newcomer):
    group = Group.objects.create(name="Tim pendaftaran")
    newcomer.groups.add(group)
    staff.groups.add(group)
    view_user = Permission.objects.get(content_type__app_label="auth", codename="view_user").pk
    response = staff_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": group.name, "permissions": [view_user]},
    )
    assert response.status_code == 302
    assert list(group.permissions.values_list("pk", flat=True)) == [view_user]


def test_officers_of_a_kelurahan_are_read_only_for_staff(staff_client, staff, kelurahan_a, newcomer):
    staff.user_permissions.add(Permission.objects.get(codename="change_kelurahan"))
    response = staff_client.get(reverse("admin:kelurahan_kelurahan_change", args=[kelurahan_a.pk]))
    assert response.status_code == 200
    assert "officers" not in response.context["adminform"].form.fields


def test_a_superuser_grants_anything(admin_client_, newcomer, roles, kelurahan_b):
    response = change(
        admin_client_, newcomer, groups=[roles[REVIEWER_GROUP].pk], kelurahan=[kelurahan_b.pk],
        is_superuser="on",
    )
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.is_superuser
    assert list(newcomer.kelurahan_assignments.all()) == [kelurahan_b]
    assert list(Group.objects.filter(user=newcomer)) == [roles[REVIEWER_GROUP]]


@pytest.mark.parametrize("url", [
    "admin:members_member_changelist", "admin:members_household_changelist",
    "admin:imports_importbatch_changelist", "admin:audit_auditevent_changelist",
])
def test_personal_data_in_the_admin_is_for_admins_only(staff_client, staff, url):
    """Even a staff account holding every permission on members sees no member, household,
    import file or audit record in the admin: the site's pages apply scope and masking."""
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["members", "imports", "audit"]))
    assert staff_client.get(reverse(url)).status_code == 403
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert reverse(url) not in index


def test_staff_cannot_give_staff_status(staff_client, newcomer):
    change(staff_client, newcomer, is_staff="on")
    newcomer.refresh_from_db()
    assert not newcomer.is_staff


def test_the_admin_cannot_move_a_member_to_another_kelurahan(admin_client_, kelurahan_a):
    from .factories import MemberFactory

    member = MemberFactory(kelurahan=kelurahan_a)
    page = admin_client_.get(reverse("admin:members_member_change", args=[member.pk]))
    assert "kelurahan" not in page.context["adminform"].form.fields


def test_a_superuser_grants_a_reviewer_a_region_and_it_is_audited(admin_client_, roles, kelurahan_a):
    from audit.models import AuditEvent
    from kelurahan.models import RegionGrant

    reviewer = UserFactory(username="peninjau.baru")
    reviewer.groups.add(roles[REVIEWER_GROUP])
    kota = kelurahan_a.kecamatan.kabupaten_kota
    response = change(admin_client_, reviewer, groups=[roles[REVIEWER_GROUP].pk], **{
        "region_grants-TOTAL_FORMS": "1", "region_grants-0-kabupaten_kota": str(kota.pk),
        "region_grants-0-provinsi": "", "region_grants-0-kecamatan": "",
    })
    assert response.status_code == 302
    assert [g.kabupaten_kota for g in RegionGrant.objects.filter(user=reviewer)] == [kota]
    event = AuditEvent.objects.get(action=AuditEvent.Action.REGION_GRANTED)
    assert (event.object_id, event.detail) == (str(reviewer.pk), {"before": [], "after": [kota.nama]})


def test_a_grant_names_one_region_at_most(admin_client_, roles, kelurahan_a):
    from kelurahan.models import RegionGrant

    reviewer = UserFactory(username="peninjau.baru")
    kecamatan = kelurahan_a.kecamatan
    response = change(admin_client_, reviewer, **{
        "region_grants-TOTAL_FORMS": "1", "region_grants-0-kabupaten_kota": str(kecamatan.kabupaten_kota.pk),
        "region_grants-0-provinsi": "", "region_grants-0-kecamatan": str(kecamatan.pk),
    })
    assert response.status_code == 200 and not RegionGrant.objects.exists()


def test_staff_cannot_open_an_account_with_regions(staff_client, roles):
    from kelurahan.models import RegionGrant

    reviewer = UserFactory(username="peninjau.kota")
    reviewer.groups.add(roles[OFFICER_GROUP])  # a group the staff member holds
    RegionGrant.objects.create(user=reviewer)
    assert staff_client.get(reverse("admin:auth_user_change", args=[reviewer.pk])).status_code == 302
    assert "peninjau.kota" not in staff_client.get(reverse("admin:auth_user_changelist")).content.decode()
