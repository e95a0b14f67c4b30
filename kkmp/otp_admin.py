"""The second factor's devices in the admin, for superusers only, replacing django-otp's own
admin (which shows each device's key and QR code: whoever sees them can make the codes).

Here a device shows its user, name, state and dates, never its key. "Add" issues an enrolment
link for a user (kkmp.views.issue_enrolment); the actions reset devices (the user must enrol
again) or reset them and issue a new link at once."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.sites import NotRegistered
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from .views import enrolment_path, issue_enrolment

try:
    admin.site.unregister(TOTPDevice)  # django_otp.plugins.otp_totp.admin's
except NotRegistered:
    pass


class IssueEnrolmentForm(forms.ModelForm):
    class Meta:
        model = TOTPDevice
        fields = ["user"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise forms.ValidationError(
                _("This user already has a confirmed authenticator; reset it first (action on the list).")
            )
        return user


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "last_used_at", "created_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    ordering = ["user__username", "pk"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["reset_devices", "reset_and_issue_enrolment"]
    form = IssueEnrolmentForm
    raw_id_fields = ["user"]

    # Superusers only, whatever permissions a staff account holds; nothing is edited here.
    def _superuser(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)

    def get_fields(self, request, obj=None):
        return ["user"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "reset" says what deleting a device means
        return actions

    def _announce(self, request, user, token):
        link = request.build_absolute_uri(enrolment_path(token))
        self.message_user(
            request,
            _("Enrolment link for %(user)s (give it to them in person or by phone; it works once): %(link)s")
            % {"user": user.get_username(), "link": link},
            messages.WARNING,
        )

    def save_model(self, request, obj, form, change):
        """"Add": issue an enrolment for the chosen user; `obj` becomes its unconfirmed device."""
        _device, token = issue_enrolment(obj.user, device=obj)
        self._announce(request, obj.user, token)

    @admin.action(description=_("Reset the selected devices (the user must enrol again)"))
    def reset_devices(self, request, queryset):
        count = queryset.count()
        queryset.delete()
        self.message_user(
            request,
            ngettext("%(count)d device reset.", "%(count)d devices reset.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reset the selected devices and issue a new enrolment link"))
    def reset_and_issue_enrolment(self, request, queryset):
        users = {device.user for device in queryset.select_related("user")}
        for user in sorted(users, key=lambda u: u.get_username()):
            _device, token = issue_enrolment(user, replace=True)
            self._announce(request, user, token)
