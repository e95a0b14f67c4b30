"""One fail-closed rule for the whole admin (issue 10, point 1).

A staff account that is not a superuser, holding every role group and every permission there
is, walks every page of every model registered on the admin: only the models named in
`kkmp.admin_site.STAFF_MODELS` answer it, and no page shows a member's number. A model
registered later is admin-only by default.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from kkmp.admin_site import STAFF_MODELS, KKMPAdminSite
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def all_powers_staff(roles):
    user = UserFactory(username="staf.serba.bisa", is_staff=True)
    user.groups.add(*roles.values())
    user.user_permissions.add(*Permission.objects.all())
    return user


def _pages(model, obj):
    info = model._meta.app_label, model._meta.model_name
    urls = [reverse("admin:%s_%s_changelist" % info), reverse("admin:%s_%s_add" % info)]
    for name in ("export", "import"):
        try:
            urls.append(reverse(f"admin:%s_%s_{name}" % info))
        except Exception:
            pass
    if obj is not None:
        for name in ("change", "history", "delete"):
            urls.append(reverse(f"admin:%s_%s_{name}" % info, args=[obj.pk]))
    return urls


def test_staff_with_every_permission_reaches_only_the_staff_models(client, all_powers_staff, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a)
    secrets = [member.nik.encode(), member.household.no_kk.encode()]
    client.force_login(all_powers_staff)
    walked = 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        for url in _pages(model, obj):
            response = client.get(url)
            walked += 1
            for secret in secrets:
                assert secret not in response.content, url
            if model._meta.label_lower not in STAFF_MODELS:
                assert response.status_code in (302, 403), url
        if model._meta.label_lower not in STAFF_MODELS:
            changelist = reverse("admin:%s_%s_changelist" % (model._meta.app_label, model._meta.model_name))
            response = client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk] if obj else []})
            assert response.status_code in (302, 403), changelist
            assert not model_admin.has_module_permission(_request(all_powers_staff)), model
    assert walked > 40
    # The admin's index and app pages do not list what the account may not open.
    index = client.get("/admin/").content.decode()
    assert "/admin/members/" not in index and "/admin/imports/" not in index and "/admin/audit/" not in index
    assert client.get("/admin/members/").status_code == 404
    # Nor does the autocomplete answer for a household or a kelurahan's members.
    response = client.get("/admin/autocomplete/", {"app_label": "members", "model_name": "member",
                                                   "field_name": "household", "term": member.household.no_kk[:6]})
    assert response.status_code == 403
    assert member.household.no_kk.encode() not in response.content
    assert member.pk is not None


def test_staff_still_manage_the_staff_models(client, all_powers_staff, kelurahan_a):
    client.force_login(all_powers_staff)
    for label in ("kelurahan.kelurahan", "kelurahan.householdcount", "auth.user"):
        app_label, model_name = label.split(".")
        assert client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200


def test_a_superuser_opens_every_changelist(admin_client_, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a)
    for model in admin.site._registry:
        url = reverse("admin:%s_%s_changelist" % (model._meta.app_label, model._meta.model_name))
        assert admin_client_.get(url).status_code == 200, url


def test_a_model_registered_later_is_admin_only_by_default(all_powers_staff, admin_user):
    site = KKMPAdminSite(name="fresh")
    site.register(Permission)
    model_admin = site._registry[Permission]
    staff, superuser = _request(all_powers_staff), _request(admin_user)
    assert all_powers_staff.has_perm("auth.view_permission")
    for check in ("has_module_permission", "has_view_permission", "has_change_permission",
                  "has_add_permission", "has_delete_permission"):
        assert not getattr(model_admin, check)(staff), check
        assert getattr(model_admin, check)(superuser), check


def test_every_registered_personal_data_model_is_wrapped():
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower in STAFF_MODELS:
            continue
        assert any(cls.__name__ == "AdminsOnlyMixin" for cls in type(model_admin).__mro__), model


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
