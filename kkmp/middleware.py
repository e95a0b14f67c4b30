"""Request ids for logs and error pages, and the security headers every response carries."""

import contextvars
import logging
import time
import uuid

_request_id = contextvars.ContextVar("request_id", default="-")

# No inline script anywhere: our pages use none. The admin's templates use inline style
# attributes, so only the admin may use them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# django-import-export's export form has one inline handler (onchange="onSelectToggleChange(event)"):
# allowed by its hash only, on admin pages only.
CSP_ADMIN = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "script-src 'self'", "script-src 'self' 'unsafe-hashes' 'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"
)


class RequestIdMiddleware:
    """Give every request an id (or take the proxy's X-Request-ID), put it in the log lines
    of that request and in the response, so a user's "error 5f3a…" can be found in the log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming[:64] if incoming.isalnum() else uuid.uuid4().hex[:12]
        token = _request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        return True


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every page, and `Cache-Control: no-store` on every page a
    signed-in user sees (they show NIK, KK numbers and addresses; shared phones and warnet
    computers must not keep them in their cache)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        is_admin = request.path.startswith("/admin/")
        response.setdefault("Content-Security-Policy", CSP_ADMIN if is_admin else CSP)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


class SessionTimeoutMiddleware:
    """Sign out after `SESSION_IDLE_MINUTES` without a request, and after `SESSION_COOKIE_AGE`
    seconds since sign-in whatever the activity (shared phones and warnet computers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.contrib.auth import logout

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault("signed_in_at", now)
            seen = session.get("seen_at", now)
            if now - seen > settings.SESSION_IDLE_MINUTES * 60 or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif now - seen > 60 or "seen_at" not in session:
                session["seen_at"] = now  # saved at most once a minute
        return self.get_response(request)


def needs_second_factor(user):
    """Admins and reviewers read every kelurahan: with KKMP_REQUIRE_2FA they must use TOTP."""
    from django.conf import settings

    return bool(
        settings.KKMP_REQUIRE_2FA
        and user.is_authenticated
        and (user.is_superuser or user.is_staff or user.has_perm("members.view_all_kelurahan"))
    )


class TwoFactorMiddleware:
    """Send a user who needs a second factor, and has not given it in this session, to the
    page that sets it up or asks for the code; everything else waits, the admin included."""

    OPEN_PATHS = ("/akun/2fa/", "/en/akun/2fa/", "/keluar/", "/en/keluar/", "/static/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.shortcuts import redirect

        user = getattr(request, "user", None)
        if (
            user is not None
            and not request.path.startswith(self.OPEN_PATHS)
            and needs_second_factor(user)
            and not user.is_verified()
        ):
            return redirect(f"/akun/2fa/?next={request.get_full_path()}")
        return self.get_response(request)
