"""Run inside django-helpdesk's virtualenv: feed mail files to helpdesk.email.extract_email_metadata
and print one JSON line with how many were handled and how long it took (Django start-up excluded)."""

import json
import logging
import os
import sys
import time
from pathlib import Path


def main() -> None:
    folder, work, root = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    sys.path.insert(0, root)
    os.environ["BENCH_DH_WORK"] = work
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.djhelpdesk.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from helpdesk.email import extract_email_metadata
    from helpdesk.models import Queue, Ticket

    queue, _ = Queue.objects.get_or_create(slug="helpdesk", defaults={
        "title": "Helpdesk", "email_address": "helpdesk@school.example", "allow_email_submission": True})
    logger = logging.getLogger("bench.helpdesk")
    files = sorted(folder.glob("*.eml"))
    errors: list[str] = []
    started = time.perf_counter()
    for path in files:
        try:
            extract_email_metadata(path.read_bytes().decode("utf-8", errors="replace"), queue, logger)
        except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
            errors.append(f"{path.name}: {type(exc).__name__}: {exc}"[:300])
    elapsed = time.perf_counter() - started
    print(json.dumps({"mails": len(files), "seconds": elapsed, "errors": len(errors), "first_errors": errors[:3],
                      "tickets": Ticket.objects.count(), "django": django.get_version()}))


if __name__ == "__main__":
    main()
