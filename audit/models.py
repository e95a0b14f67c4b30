"""An append-only record of who did what with personal data (UU 27/2022): sign-ins, denied
access, imports and undos, exports, and views of a full NIK."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kkmp.middleware import client_ip


class AuditEventQuerySet(models.QuerySet):
    def about_member(self, member, *, since=None, until=None):
        """Events that read or changed `member`'s data (the `audit_member` command)."""
        events = self.filter(object_type="member", object_id=str(member.pk))
        if since:
            events = events.filter(at__date__gte=since)
        if until:
            events = events.filter(at__date__lte=until)
        return events.select_related("actor")

    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only.")

    def delete(self):
        raise TypeError("The audit trail is append-only.")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("signed in")
        LOGIN_FAILED = "login_failed", _("sign-in failed")
        LOGOUT = "logout", _("signed out")
        DENIED = "denied", _("access denied")
        VIEW_NIK = "view_nik", _("viewed full NIK/KK")
        MEMBER_CREATED = "member_created", _("registered a member")
        MEMBER_CHANGED = "member_changed", _("changed a member")
        IMPORT_COMMITTED = "import_committed", _("imported a file")
        IMPORT_UNDONE = "import_undone", _("undid an import")
        EXPORT = "export", _("exported data")
        NUMBER_SEARCH = "number_search", _("searched by a full NIK/KK number")
        MEMBER_ELSEWHERE = "member_elsewhere", _("registration matched another KKMP's member")
        COOPERATIVE_CHANGED = "cooperative_changed", _("changed a cooperative's profile or rules")
        MEETING_CHANGED = "meeting_changed", _("recorded a members' meeting")
        APPLICATION_VIEWED = "application_viewed", _("opened an application to join")
        APPLICATION_DECIDED = "application_decided", _("accepted or rejected an application to join")
        APPLICANT_WITHDREW = "applicant_withdrew", _("an applicant withdrew their application")
        APPLICATIONS_PURGED = "applications_purged", _("deleted old applications to join")
        REGION_GRANTED = "region_granted", _("changed a reviewer's regions")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("who"),
    )
    username = models.CharField(_("user name given"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=30, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_event_object")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only.")


def record(action, *, request=None, user=None, obj=None, object_type="", object_id="", **detail):
    """Append one event. Never stores a full NIK or KK number in `detail`."""
    if request is not None and user is None:
        user = getattr(request, "user", None)
    if obj is not None:
        object_type, object_id = obj._meta.model_name, str(obj.pk)
    is_user = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        action=action,
        actor=user if is_user else None,
        username=(user.get_username() if is_user else detail.pop("username", ""))[:150],
        object_type=object_type,
        object_id=str(object_id),
        ip=client_ip(request) if request is not None else None,
        request_id=getattr(request, "id", "") if request is not None else "",
        detail=detail,
    )
