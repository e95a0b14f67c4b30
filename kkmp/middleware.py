"""The client's address behind the trusted proxy, request ids for logs and error pages, and the
security headers every response carries."""

import contextvars
import ipaddress
import logging
import re
import time
import uuid
from urllib.parse import urlencode

_request_id = contextvars.ContextVar("request_id", default="-")
_proxy_request_id = contextvars.ContextVar("proxy_request_id", default="")


def trusted_proxy_hops():
    from django.conf import settings

    return max(int(getattr(settings, "KKMP_TRUSTED_PROXY_HOPS", 0) or 0), 0)


def client_ip(request):
    """The address of the client, as far as we can trust it.

    With `KKMP_TRUSTED_PROXY_HOPS` = 0 (no proxy) it is the peer (`REMOTE_ADDR`) and
    X-Forwarded-For is ignored. With N proxies in front, each of which *appends* the address it
    received the request from (nginx `$proxy_add_x_forwarded_for`, Caddy's default), it is the
    N-th entry from the right: the one our outermost proxy wrote. Entries to its left were sent
    by the client and are never used. A missing, short or malformed header falls back to the
    peer's address. Used by the sign-in lockout (django-axes) and the audit trail.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = trusted_proxy_hops()
    if not hops:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < hops or not entries[-hops]:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-hops]))
    except ValueError:
        return remote


# The proxy's request id (nginx `$request_id`: 32 hex digits; a UUID) is kept beside ours when it
# looks like one; anything longer, or with other characters, is dropped.
PROXY_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def proxy_request_id(request):
    """The sanitised X-Request-ID of the trusted proxy, or "" (no proxy, none, or not sane)."""
    if not trusted_proxy_hops():
        return ""  # without a proxy in front, the header comes from the client
    from .logging import mask_numbers

    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if not PROXY_REQUEST_ID.fullmatch(incoming) or mask_numbers(incoming) != incoming:
        return ""  # an id the log would have to mask is not an id
    return incoming

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
    """Give every request our own id, put it in the log lines of that request, the audit trail
    and the response, so a user's "error 5f3a…" can be found in the log. A client's
    X-Request-ID is never taken; the trusted proxy's (see `proxy_request_id`) is logged beside
    ours, to find the proxy's access log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = uuid.uuid4().hex[:12]
        request.proxy_request_id = proxy_request_id(request)
        token = _request_id.set(request.id)
        proxy_token = _proxy_request_id.set(request.proxy_request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
            _proxy_request_id.reset(proxy_token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """`request_id`: ours; `request_ids`: ours, then the proxy's when there is one. Taken from
    the record's own request when it carries one (Django's `django.request` lines: it writes
    the 404 and 403 warnings once the response has left this middleware), else from the
    request being served."""

    def filter(self, record):
        request = getattr(record, "request", None)
        request_id = getattr(request, "id", None)
        if isinstance(request_id, str) and request_id:
            proxy = getattr(request, "proxy_request_id", "") or ""
        else:
            request_id, proxy = _request_id.get(), _proxy_request_id.get()
        record.request_id = request_id
        record.request_ids = f"{request_id} proxy={proxy}" if proxy else request_id
        # A refusal is not a fault: Django logs a raised PermissionDenied (or Http404) with its
        # traceback; the one line with the path and the request id says all there is.
        if record.exc_info and isinstance(getattr(record, "status_code", None), int) and record.status_code < 500:
            record.exc_info = record.exc_text = None
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
        if not request.path.startswith("/static/") and (response.status_code >= 500 or _signed_in(request)):
            response["Cache-Control"] = "no-store"
        return response


def _signed_in(request):
    """Is a user signed in? Unknown when the database is down (the user is read through the
    session): then taken as yes, and the page is not cached."""
    from django.db import DatabaseError

    user = getattr(request, "user", None)
    try:
        return user is not None and user.is_authenticated
    except DatabaseError:
        return True


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
            return redirect("/akun/2fa/?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
