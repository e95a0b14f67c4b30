"""The project's own pages: the second factor (admin-issued enrolment, verification), the sign-in
lockout page and the error page."""

import hashlib
from base64 import b32encode
from datetime import timedelta

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .middleware import needs_second_factor
from .passwords import cooloff_minutes


def server_error(request):
    """The 500 page: friendly, no traceback, with the request id to quote to the administrator.
    Rendered without the request, so without context processors: they read the user, through
    the session, from the database, which may be what failed (the page would fail in turn and
    the server answer with its bare 500, without our headers or the request id)."""
    page = loader.render_to_string("500.html", {"request_id": getattr(request, "id", "")})
    return HttpResponseServerError(page)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE): how long, and whether the user name from
    this address or the whole address is blocked (kkmp.passwords.SignInLockoutHandler)."""
    context = {
        "cooloff_minutes": cooloff_minutes(request),
        "by_address": getattr(request, "kkmp_locked_by", None) == "address",
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)


# --- Second factor ----------------------------------------------------------------------------
#
# Devices (django-otp's TOTPDevice) are named for where they stand:
#   "enrolment issued"  an admin issued an enrolment link; nobody has seen the key yet;
#   "enrolment opened"  its user opened the link and was shown the key, once; not confirmed yet;
#   "authenticator"     confirmed with a code: the user's second factor.
# A user who sets the second factor up themselves gets no device row until the first code is
# right: the pending key waits in their session.

ENROLMENT_ISSUED = "enrolment issued"
ENROLMENT_OPENED = "enrolment opened"
AUTHENTICATOR = "authenticator"
ENROLMENT_SALT = "kkmp.two-factor-enrolment"
PENDING = "kkmp_2fa_pending"  # the session's enrolment in progress: {"device": pk} or {"key": hex}


def _key_digest(device):
    return hashlib.sha256(device.key.encode()).hexdigest()[:12]


@transaction.atomic
def issue_enrolment(user, *, replace=False, device=None):
    """Make a new enrolment for `user` and return (device, token). The token is what the link
    `/akun/2fa/?enrolment=<token>` carries: signed, for this user and this device only, valid
    KKMP_2FA_ENROLMENT_HOURS, and usable once (opening it moves the device on).

    Earlier enrolments of the user are cancelled. A user who has a confirmed device keeps it and
    gets nothing unless `replace` (then every device of theirs is removed first). `device`: an
    unsaved TOTPDevice to use (the admin's add form), else a new one."""
    devices = TOTPDevice.objects.select_for_update().filter(user=user)
    if replace:
        devices.delete()
    elif devices.filter(confirmed=True).exists():
        raise ValueError(_("This user already has a confirmed authenticator; reset it first."))
    else:
        devices.filter(confirmed=False).delete()
    device = device or TOTPDevice(user=user)
    device.name, device.confirmed, device.key = ENROLMENT_ISSUED, False, default_key()
    device.save()
    token = signing.TimestampSigner(salt=ENROLMENT_SALT).sign(f"{user.pk}.{device.pk}.{_key_digest(device)}")
    return device, token


def enrolment_path(token):
    return f"/akun/2fa/?enrolment={token}"


def _open_enrolment(user, token):
    """The device an enrolment token stands for, moved on to "opened"; None when the token is not
    this user's, is forged, expired, cancelled or was opened already."""
    hours = settings.KKMP_2FA_ENROLMENT_HOURS
    try:
        value = signing.TimestampSigner(salt=ENROLMENT_SALT).unsign(token.strip(), max_age=timedelta(hours=hours))
        user_pk, device_pk, digest = value.split(".")
    except (signing.BadSignature, ValueError):
        return None
    if user_pk != str(user.pk):
        return None
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=device_pk, user=user, confirmed=False, name=ENROLMENT_ISSUED)
            .first()
        )
        if device is None or _key_digest(device) != digest:
            return None
        if device.created_at and device.created_at < timezone.now() - timedelta(hours=hours):
            return None
        device.name = ENROLMENT_OPENED
        device.save(update_fields=["name"])
    return device


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code from the authenticator app"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class EnrolmentForm(forms.Form):
    enrolment = forms.CharField(
        label=gettext_lazy("Enrolment code from the administrator"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _scan_context(device):
    """What the page shows once, to put the key in the app: a QR code and the key to type."""
    return {
        "qr": segno.make(device.config_url, error="m").svg_inline(scale=4),
        "secret": b32encode(device.bin_key).decode(),
    }


def _pending(request):
    """The enrolment in progress in this session, as an unsaved or saved unconfirmed device."""
    pending = request.session.get(PENDING) or {}
    if "device" in pending:
        return TOTPDevice.objects.filter(
            pk=pending["device"], user=request.user, confirmed=False, name=ENROLMENT_OPENED
        ).first()
    if "key" in pending:
        return TOTPDevice(user=request.user, name=AUTHENTICATOR, key=pending["key"], confirmed=False)
    return None


def _confirm_pending(request, device, code):
    """Check the first code of a pending enrolment; keep the device confirmed when it is right."""
    if device.pk:  # issued by an admin: a device row, throttled by django-otp
        if not device.verify_token(code):
            return None
        device.confirmed, device.name = True, AUTHENTICATOR
        device.save(update_fields=["confirmed", "name"])
        return device
    if needs_second_factor(request.user):
        return None  # started as self-service, but this user must now have an issued enrolment
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    try:
        verified = totp.verify(int(code), device.tolerance)
    except ValueError:
        verified = False
    if not verified:
        return None
    device.last_t, device.drift, device.confirmed = totp.t(), totp.drift, True
    device.set_last_used_timestamp(commit=False)
    device.save()
    return device


def _signed_in_with(request, device):
    request.session.pop(PENDING, None)
    otp_login(request, device)
    messages.success(request, _("Second factor accepted."))
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    return redirect(target)


@login_required
def two_factor(request):
    """Give this session's code, or enrol an authenticator app.

    Enrolment is self-service (a POST makes a pending key, shown once) for users who need not use
    a second factor; those who must (KKMP_REQUIRE_2FA: admins, staff, reviewers) enrol only with
    a one-time link an admin issued, so a stolen password cannot enrol the thief's phone. A GET
    never creates a device and never shows a key."""
    user = request.user
    required = needs_second_factor(user)
    action = request.POST.get("action", "verify") if request.method == "POST" else None
    context = {"required": required, "form": CodeForm(), "enrolment_form": EnrolmentForm()}

    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))
    if devices:
        context["mode"] = "verify"
        if action == "verify":
            form = context["form"] = CodeForm(request.POST)
            if form.is_valid():
                code = form.cleaned_data["code"].strip()
                for device in devices:
                    if device.verify_token(code):
                        return _signed_in_with(request, device)
                form.add_error("code", _("This code is wrong or expired; enter the code the app shows now."))
        return render(request, "registration/two_factor.html", context)

    if action == "enrolment":
        form = context["enrolment_form"] = EnrolmentForm(request.POST)
        if form.is_valid():
            device = _open_enrolment(user, form.cleaned_data["enrolment"])
            if device is not None:
                request.session[PENDING] = {"device": device.pk}
                return render(request, "registration/two_factor.html", {**context, "mode": "scan", **_scan_context(device)})
            form.add_error(
                "enrolment",
                _("This enrolment code is not valid: it was used already, has expired, was replaced by a "
                  "newer one or is for another account. Ask the administrator for a new one."),
            )
    elif action == "start":
        if not required:
            device = TOTPDevice(user=user, name=AUTHENTICATOR, key=default_key(), confirmed=False)
            request.session[PENDING] = {"key": device.key}
            return render(request, "registration/two_factor.html", {**context, "mode": "scan", **_scan_context(device)})
        messages.error(request, _("Your account must use a second factor: ask the administrator for an enrolment link."))
    elif action == "verify":
        form = context["form"] = CodeForm(request.POST)
        device = _pending(request)
        if device is not None and not device.pk and required:
            device = None  # a self-service key from before this user had to use 2FA: not any more
        if device is None:
            form.add_error(None, _("Your account must use a second factor: ask the administrator for an enrolment link.")
                           if required else _("There is no authenticator being set up; start again."))
        elif form.is_valid():
            confirmed = _confirm_pending(request, device, form.cleaned_data["code"].strip())
            if confirmed is not None:
                return _signed_in_with(request, confirmed)
            form.add_error("code", _("This code is wrong or expired; enter the code the app shows now."))

    pending = _pending(request)
    if pending is not None and (pending.pk or not required):
        context["mode"] = "confirm"  # the key was shown; only its first code is asked now
        context["self_service"] = not pending.pk
    else:
        context["mode"] = "issued" if required else "offer"
        if request.method == "GET" and request.GET.get("enrolment"):
            context["enrolment_form"] = EnrolmentForm(initial={"enrolment": request.GET["enrolment"]})
    return render(request, "registration/two_factor.html", context)
