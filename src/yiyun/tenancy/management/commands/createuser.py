import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Organisation
from yiyun.tenancy.services import person_create, user_create


class Command(BaseCommand):
    help = (
        "Create a login for a person of an organisation. The password comes from "
        "YIYUN_PASSWORD or is asked for; it is stored hashed (Argon2)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--organisation", required=True, help="organisation name")
        parser.add_argument("--name", required=True, help="the person's name")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--superuser", action="store_true", help="operator with admin access")

    def handle(self, *args, username, organisation, name, role, email, phone, superuser, **opts):
        org = Organisation.objects.filter(name=organisation).first()
        if org is None:
            raise CommandError(f"no organisation named {organisation!r}")
        password = os.environ.get("YIYUN_PASSWORD") or getpass.getpass("Password: ")
        if len(password) < 8:
            raise CommandError("the password must have at least 8 characters")
        person = person_create(
            organisation=org, name=name, role=role, email=email, phone=phone, by="cli"
        )
        user_create(
            username=username, password=password, person=person, is_superuser=superuser, by="cli"
        )
        self.stdout.write(f"created {username} ({Role(role).label}) at {org.name}")
