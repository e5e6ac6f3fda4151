"""``chatserver export fhir --from YYYY-MM-DD --to YYYY-MM-DD [--unit ID] --out DIR``
(a ``FEATURE_CLIS`` module).

Every contact created on the Stockholm days ``--from``..``--to`` (both
included), of one unit or all, as FHIR R4 resources in Bulk Data NDJSON files
(:mod:`.bulk`). Audited as ``fhir_export`` (actor: the command line) before
anything is read; refused when it cannot be audited. Exit 0 and one line with
the counts; 1 for an unknown unit or an export that cannot be audited; 2 for
bad dates.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from chatserver.audit.cli import record_cli_event
from chatserver.cli.common import settings_from_args, with_storage
from chatserver.identity.staff_view import StoredIdentities

from .bulk import BulkFiles, DateRangeError, period
from .collect import contact_record
from .http import FHIR_EXPORT
from .mapping import contact_resources, resource_refs
from .store import FhirStore

__all__ = ["register"]


async def _export(args: argparse.Namespace) -> int:
    try:
        start, end = period(args.date_from, args.date_to)
    except DateRangeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    storage = await with_storage(settings)
    try:
        known = {u.id for u in await storage.list_units()}
        unknown = sorted(set(args.unit or ()) - known)
        if unknown:
            print(f"error: unknown unit {', '.join(unknown)}", file=sys.stderr)
            return 1
        units = sorted(set(args.unit)) if args.unit else None
        request = f"export fhir --from {args.date_from} --to {args.date_to}" + "".join(
            f" --unit {u}" for u in units or ()
        )
        detail = {"from": args.date_from, "to": args.date_to, "units": units or "all"}
        if not await record_cli_event(
            storage, settings.data_dir, FHIR_EXPORT, detail=detail, before=True
        ):
            return 1
        files = BulkFiles(Path(args.out))
        files.open()
        try:
            identities = StoredIdentities(storage, time.time)
            base_url = settings.public_url or ""
            for contact_id in await FhirStore(storage).contacts_between(start, end, units):
                contact = await storage.get_contact(contact_id)
                if contact is None:  # purged between the two reads
                    continue
                record = await contact_record(storage, identities, contact, base_url)
                files.add(contact_resources(record, resource_refs()))
            files.finish(request, time.time())
        finally:
            files.close()
    finally:
        await storage.close()
    counts = ", ".join(f"{n} {t}" for t, n in files.counts().items()) or "no contacts"
    print(f"FHIR export written to {args.out}: {counts}", file=sys.stderr)
    return 0


def cmd_export_fhir(args: argparse.Namespace) -> int:
    return asyncio.run(_export(args))


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    export = sub.add_parser("export", parents=[common], help="exports").add_subparsers(
        dest="export_command", required=True
    )
    fhir = export.add_parser(
        "fhir", parents=[common], help="contacts as FHIR R4 NDJSON files (Bulk Data layout)"
    )
    fhir.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
    fhir.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
    fhir.add_argument("--unit", action="append", help="repeat for several; default all units")
    fhir.add_argument("--out", required=True, help="directory for the NDJSON files")
    fhir.set_defaults(func=cmd_export_fhir)
