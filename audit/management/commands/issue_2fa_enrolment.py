"""`issue_2fa_enrolment USERNAME`: a one-time link for an account that must enrol a second factor."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kkmp.views import enrolment_path, issue_enrolment


class Command(BaseCommand):
    help = (
        "Issue a one-time link with which USERNAME, signed in, sets up their authenticator app "
        "(needed when KKMP_REQUIRE_2FA is on for admins and reviewers). Give it to them out of "
        "band (in person, by phone); it is valid KKMP_2FA_ENROLMENT_HOURS and replaces any "
        "earlier link."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace", action="store_true",
            help="remove the user's confirmed authenticator too (lost or replaced phone)",
        )
        parser.add_argument("--url", default="", help="the site's address, e.g. https://kkmp.example.go.id")

    def handle(self, *args, username, replace, url, **options):
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user {username!r}.")
        try:
            device, token = issue_enrolment(user, replace=replace)
        except ValueError as exc:
            raise CommandError(f"{exc} (--replace removes it)") from exc
        self.stdout.write(f"Enrolment for {user.get_username()}, valid {settings.KKMP_2FA_ENROLMENT_HOURS} hours, once:")
        self.stdout.write(f"{url.rstrip('/')}{enrolment_path(token)}")
