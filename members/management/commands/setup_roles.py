"""`setup_roles`: create or update the officer and reviewer groups with exactly their permissions."""

from django.core.management.base import BaseCommand

from members.services import ensure_roles


class Command(BaseCommand):
    help = "Create or update the role groups (Pengurus KKMP, Peninjau DKUMKMP); safe to run again."

    def handle(self, *args, **options):
        for name, group in ensure_roles().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
