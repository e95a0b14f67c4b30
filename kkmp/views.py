import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


def server_error(request):
    """The 500 page: friendly, no traceback, with the request id to quote to the administrator."""
    return render(request, "500.html", {"request_id": getattr(request, "id", "")}, status=500)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code from the authenticator app"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


@login_required
def two_factor(request):
    """Set up the authenticator app (the first time) or give this session's code (later)."""
    device = (
        TOTPDevice.objects.filter(user=request.user).order_by("-confirmed").first()
        or TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Second factor accepted."))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = "/"
            return redirect(target)
        form.add_error("code", _("This code is wrong or expired; enter the code the app shows now."))
    context = {"form": form, "setting_up": not device.confirmed}
    if not device.confirmed:
        context["qr"] = segno.make(device.config_url, error="m").svg_inline(scale=4)
        context["secret"] = device.config_url.split("secret=")[1].split("&")[0]
    return render(request, "registration/two_factor.html", context)
