"""`audit_member NIK`: who accessed a member, and when (the PDP access record)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEvent
from kkmp.masking import mask
from members.identity import normalise_number
from members.models import Member


class Command(BaseCommand):
    help = "Who read or changed a member's data, optionally between two dates (YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("nik")
        parser.add_argument("--from", dest="since", type=date.fromisoformat)
        parser.add_argument("--to", dest="until", type=date.fromisoformat)

    def handle(self, *args, nik, since, until, **options):
        member = Member.objects.filter(nik=normalise_number(nik)).first()
        if member is None:
            raise CommandError(f"No member with NIK {mask(normalise_number(nik))}.")
        events = AuditEvent.objects.about_member(member, since=since, until=until).order_by("at")
        self.stdout.write(f"{member.name} ({member.member_number}, NIK {mask(member.nik)})")
        for event in events:
            who = event.actor.get_username() if event.actor else event.username or "-"
            self.stdout.write(f"{event.at:%Y-%m-%d %H:%M:%S}  {who:<20} {event.get_action_display():<25} {event.ip or ''}")
        self.stdout.write(f"{events.count()} event(s)")
