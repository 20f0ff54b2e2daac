"""Writes of the workspace: users and grants, failed logins, creditor settings, holds, staged imports.

Each service takes keyword arguments, validates them, writes in one transaction and leaves an
audit event where a person changed business data.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import shutil
import zipfile
import zlib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.fr import siren as fr_siren

from relance.apps.audit.services import event_record
from relance.apps.creditors.models import Creditor
from relance.apps.creditors.services import creditor_columns_remember
from relance.apps.ledger.models import Debtor
from relance.apps.ledger.services import ledger_import
from relance.apps.workspace.models import ImportUpload, Membership
from relance.apps.workspace.warming import figures_warm
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import N_, Note
from relance.formats.ledger import detect_format
from relance.formats.ledger_csv_columns import column_fields, read_header
from relance.formats.text import normalize_header

ROLES = tuple(Membership.Role.values)
UPLOAD_MAX_AGE = timedelta(days=1)
ZIP_MAX_FILES = 100  # e-invoices taken from the .zip archives of one upload
ZIP_MAX_BYTES = 100 * 2**20


# --- users and grants ---------------------------------------------------------------------------


def user_create(
    *, username: str, password: str, role: str, creditors: Sequence[Creditor], email: str = ""
) -> AbstractBaseUser:
    """A login granted ``role`` on each of ``creditors``; the password passes Django's validators."""
    username = username.strip()
    if not username:
        raise InvalidInputError("a user needs a username")
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not creditors:
        raise InvalidInputError("grant at least one creditor (--creditor)")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise InvalidInputError(f"user {username!r} already exists")
    candidate = user_model(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise InvalidInputError("password refused: " + " ".join(exc.messages)) from exc
    with transaction.atomic():
        user = user_model.objects.create_user(username=username, email=email, password=password)
        Membership.objects.bulk_create(
            [Membership(user=user, creditor=c, role=role) for c in {c.pk: c for c in creditors}.values()]
        )
        for creditor in creditors:
            event_record(
                kind="workspace.user_granted", subject_type="user", subject_id=user.pk,
                creditor_id=creditor.pk, payload={"username": username, "role": role}, actor="cli",
            )
    return user


# --- creditor settings ----------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "name", "siren", "vat_number", "iban", "bic", "email", "phone", "address", "postal_code",
    "city", "payment_terms_days", "signature", "pay_link_template",
)
PAY_LINK_FIELDS = {"invoice": "FA-1", "amount": "100.00", "debtor": "411X"}
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
MAX_LOGO_BYTES = 1024 * 1024


def _pay_link_check(template: str) -> str:
    template = template.strip()
    if not template:
        return ""
    if not template.startswith(("https://", "http://")):
        raise InvalidInputError("the pay link must be a web address starting with https://")
    try:
        template.format(**PAY_LINK_FIELDS)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInputError(
            N_("the pay link may only use {invoice}, {amount} and {debtor}: %(unknown)s is unknown"),
            params={"unknown": repr(exc)},
        ) from exc
    return template


def creditor_settings_update(*, creditor: Creditor, actor: str, **values: Any) -> Creditor:
    """Change the creditor's identity, bank details, signature and terms; record what changed."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInputError(f"unknown settings: {', '.join(sorted(unknown))}")
    clean = dict(values)
    if "name" in clean and not str(clean["name"]).strip():
        raise InvalidInputError("a creditor needs a name")
    if clean.get("siren"):
        compact = fr_siren.compact(clean["siren"])
        if not fr_siren.is_valid(compact):
            raise InvalidInputError(
                N_("SIREN %(value)r is not valid"), params={"value": clean["siren"]}
            )
        clean["siren"] = compact
    if clean.get("iban"):
        try:
            iban = IBAN(clean["iban"])
        except SchwiftyException as exc:
            raise InvalidInputError(
                N_("IBAN %(value)r is not valid: %(reason)s"),
                params={"value": clean["iban"], "reason": str(exc)},
            ) from exc
        clean["iban"] = iban.compact
    if "pay_link_template" in clean:
        clean["pay_link_template"] = _pay_link_check(str(clean["pay_link_template"] or ""))
    if "payment_terms_days" in clean:
        days = int(clean["payment_terms_days"])
        if not 0 <= days <= 365:
            raise InvalidInputError("payment terms must be between 0 and 365 days")
        clean["payment_terms_days"] = days
    changed = {k: v for k, v in clean.items() if getattr(creditor, k) != v}
    if not changed:
        return creditor
    with transaction.atomic():
        before = {k: getattr(creditor, k) for k in changed}
        for key, value in changed.items():
            setattr(creditor, key, value)
        try:
            creditor.full_clean()
        except ValidationError as exc:
            raise InvalidInputError(" ".join(exc.messages)) from exc
        creditor.save(update_fields=list(changed))
        event_record(
            kind="creditor.settings_changed", subject_type="creditor", subject_id=creditor.pk,
            creditor_id=creditor.pk, actor=actor, payload={"before": before, "after": changed},
        )
    return creditor


# --- debtors --------------------------------------------------------------------------------------


def debtor_hold_set(*, debtor: Debtor, hold: bool, reason: str = "", actor: str) -> Debtor:
    """Pause (hold) or resume chasing a debtor; the daily pass skips debtors on hold."""
    if debtor.is_legal_hold == hold:
        return debtor
    try:
        from relance.apps.collection.pauses import debtor_hold
    except ImportError:  # without collection, the flag and its event are written here
        pass
    else:
        held: Debtor = debtor_hold(creditor=debtor.creditor, debtor_account=debtor.account, hold=hold,
                                   reason=reason.strip()[:500], actor=actor)
        return held
    with transaction.atomic():
        debtor.is_legal_hold = hold
        debtor.save(update_fields=["is_legal_hold", "updated_at"])
        event_record(
            kind="debtor.held" if hold else "debtor.released", subject_type="debtor",
            subject_id=debtor.pk, creditor_id=debtor.creditor_id, actor=actor,
            payload={"reason": reason.strip()[:500]},
        )
    return debtor


def debtor_notes_update(*, debtor: Debtor, notes: str, actor: str) -> Debtor:
    if debtor.notes == notes:
        return debtor
    with transaction.atomic():
        debtor.notes = notes
        debtor.save(update_fields=["notes", "updated_at"])
        event_record(
            kind="debtor.notes_changed", subject_type="debtor", subject_id=debtor.pk,
            creditor_id=debtor.creditor_id, actor=actor, payload={"notes": notes[:2000]},
        )
    return debtor


# --- staged imports -------------------------------------------------------------------------------


def _uploads_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _bank_import() -> Any:
    try:
        from relance.apps.banking.services import statement_import
    except ImportError:  # the banking app has no import service in this install yet
        return None
    return statement_import


def bank_import_available() -> bool:
    return _bank_import() is not None


def _run(
    upload: ImportUpload, *, dry_run: bool, actor: str, settle: str | None = None
) -> dict[str, Any]:
    """Import (or check) the staged file; ``settle``, for a ledger, is the user's answer to
    the question a dry run asked: "full" (the whole open list) or "partial"."""
    path = Path(upload.path)
    if upload.kind == ImportUpload.Kind.BANK:
        statement_import = _bank_import()
        if statement_import is None:
            raise InvalidInputError("bank files cannot be imported in this install")
        from relance.formats.bank import read_statement

        raw = path.read_bytes()
        report = read_statement(raw)  # read here once: its problems keep their wording
        result: dict[str, Any] = statement_import(
            creditor=upload.creditor, data=raw, filename=upload.filename,
            dry_run=dry_run, actor=actor, report=report,
        )
        # The page says each problem in its reader's language (see wording.py).
        result["problems"] = [p.as_dict() | p.wording() for p in report.problems]
        return result
    if upload.kind == ImportUpload.Kind.EINVOICES:
        from relance.apps.ledger.einvoices import einvoices_import

        found = einvoices_import(
            creditor=upload.creditor, files=_staged_files(path), as_of=timezone.localdate(),
            dry_run=dry_run, actor=actor,
        )
        data = found.as_dict()  # each problem names its file
        data["problems"] = [
            d | p.wording() for d, p in zip(data["problems"], found.problems, strict=True)
        ]
        data["notes"] = [n.wording() if isinstance(n, Note) else n for n in found.notes]
        return data
    with path.open("rb") as stream:
        imported = ledger_import(
            creditor=upload.creditor, stream=stream, filename=upload.filename, dry_run=dry_run,
            actor=actor, full=settle == "full", partial=settle == "partial",
            format=_ledger_format(path),
        )
    # The page says each problem in its reader's language: keep what it is made of.
    return imported.as_dict() | {
        "problems": [p.as_dict() | p.wording() for p in imported.problems],
        "notes": [n.wording() if isinstance(n, Note) else n for n in imported.notes],
    }


def _ledger_format(path: Path) -> str:
    """"auto", or "csv" for a file no reader recognises whose first line reads as a header of
    several columns: the page then asks what each column holds rather than refusing it."""
    with path.open("rb") as stream:
        head = stream.read(8 * 1024)
    if detect_format(head) is not None:
        return "auto"
    header = read_header(head)
    return "csv" if len(header) >= 2 and sum(map(len, header)) <= 2000 else "auto"


def import_upload_stage(
    *, creditor: Creditor, user: User | None, kind: str, filename: str, data: bytes, actor: str
) -> ImportUpload:
    """Keep the file under MEDIA_ROOT/imports/ and check it with a dry run; nothing is written."""
    if kind not in ImportUpload.Kind.values:
        raise InvalidInputError(f"import kind must be one of {', '.join(ImportUpload.Kind.values)}")
    if kind == ImportUpload.Kind.EINVOICES:
        raise InvalidInputError("e-invoices are staged with einvoices_upload_stage")
    if not data:
        raise InvalidInputError("the file is empty")
    token = secrets.token_urlsafe(24)
    path = _uploads_dir() / f"{token}.upload"
    path.write_bytes(data)
    return _staged(
        token=token, creditor=creditor, user=user, kind=kind,
        filename=Path(filename).name[:255] or "upload", path=path, actor=actor,
    )


def einvoices_upload_stage(
    *, creditor: Creditor, user: User | None, files: Sequence[tuple[str, bytes]], actor: str
) -> ImportUpload:
    """Keep e-invoices (Factur-X PDFs, UBL, CII, or .zip archives of them) in a folder under
    MEDIA_ROOT/imports/ and check them with a dry run, all as one batch; nothing is written. The
    problems name their file."""
    if not files:
        raise InvalidInputError("choose at least one e-invoice file")
    files = _unzipped([(Path(name).name or "upload", data) for name, data in files])
    token = secrets.token_urlsafe(24)
    folder = _uploads_dir() / token
    folder.mkdir()
    names = [name for name, _ in files]
    # The files are kept under their index; their names, whatever they are, beside them.
    (folder / "names.json").write_text(json.dumps(names))
    for index, (_, data) in enumerate(files):
        (folder / f"{index:04d}.upload").write_bytes(data)
    shown = ", ".join(names)
    return _staged(
        token=token, creditor=creditor, user=user, kind=ImportUpload.Kind.EINVOICES,
        filename=shown if len(shown) <= 255 else shown[:252] + "...", path=folder, actor=actor,
    )


def _unzipped(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """``files``, each .zip among them replaced by the PDF and XML files it holds, named
    ``archive.zip/file.pdf``. At most ZIP_MAX_FILES files and ZIP_MAX_BYTES from the archives
    of one call, judged by the sizes the archive declares (no entry gives more than it
    declares); folders, macOS's resource forks and other files are left out."""
    out: list[tuple[str, bytes]] = []
    count = size = 0
    for name, data in files:
        if not name.lower().endswith(".zip"):
            out.append((name, data))
            continue
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = [
                    info for info in archive.infolist()
                    if not info.is_dir() and _zip_entry_wanted(info.filename)
                ]  # fmt: skip
                count += len(entries)
                size += sum(info.file_size for info in entries)
                if count > ZIP_MAX_FILES or size > ZIP_MAX_BYTES:
                    raise InvalidInputError(
                        N_("%(file)s holds too much: at most %(count)d files and %(size)d MB"),
                        params={"file": name, "count": ZIP_MAX_FILES, "size": ZIP_MAX_BYTES >> 20},
                    )
                for info in entries:
                    with archive.open(info) as stream:
                        content = stream.read(info.file_size + 1)
                    entry = PurePosixPath(info.filename.replace("\\", "/")).name
                    out.append((f"{name}/{entry}", content))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError,
                EOFError, OSError, zlib.error) as exc:  # fmt: skip
            raise InvalidInputError(
                N_("%(file)s cannot be opened as a zip archive: %(reason)s"),
                params={"file": name, "reason": str(exc)},
            ) from exc
        if not entries:
            raise InvalidInputError(
                N_("%(file)s holds no PDF or XML file"), params={"file": name}
            )
    return out


def _zip_entry_wanted(path: str) -> bool:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return (
        bool(parts)
        and parts[0] != "__MACOSX"
        and not parts[-1].startswith("._")
        and parts[-1].lower().endswith((".pdf", ".xml"))
    )


def _staged_files(folder: Path) -> list[tuple[str, bytes]]:
    """The e-invoices ``einvoices_upload_stage`` kept, with their names, in their order."""
    names = json.loads((folder / "names.json").read_text())
    return [(name, (folder / f"{i:04d}.upload").read_bytes()) for i, name in enumerate(names)]


def _staged(
    *, token: str, creditor: Creditor, user: User | None, kind: str, filename: str, path: Path,
    actor: str,
) -> ImportUpload:
    upload = ImportUpload.objects.create(
        token=token, creditor=creditor, user=user, kind=kind, filename=filename, path=str(path),
    )
    try:
        upload.dry_run = _run(upload, dry_run=True, actor=actor)
    except Exception:
        import_upload_drop(upload=upload)
        raise
    upload.save(update_fields=["dry_run"])
    _uploads_expire()
    return upload


def import_upload_confirm(
    *, upload: ImportUpload, actor: str, settle: str | None = None
) -> dict[str, Any]:
    """Import the staged file (or e-invoices) for real, then forget it (the import batch keeps
    its digest), and compute the kept figures again. ``settle``: see ``_run``; an import that
    still asks (no answer given) writes nothing and keeps the file staged."""
    if upload.dry_run.get("problems"):
        raise InvalidInputError("this file has problems: fix them and upload it again")
    if not Path(upload.path).exists():
        import_upload_drop(upload=upload)
        raise NotFoundError("the uploaded file is gone: upload it again")
    if settle not in (None, "full", "partial"):
        raise InvalidInputError("settle is full or partial")
    result = _run(upload, dry_run=False, actor=actor, settle=settle)
    if result.get("question"):
        return result
    import_upload_drop(upload=upload)
    figures_warm(creditor=upload.creditor, as_of=timezone.localdate())
    return result


# Problems of a CSV ledger's header that the user answers by mapping its columns.
COLUMN_PROBLEMS = frozenset({"missing_column", "duplicate_column"})


def import_upload_columns(*, upload: ImportUpload) -> list[tuple[str, str]] | None:
    """A staged CSV ledger's columns, each with the field it gives now (``""``: none), when
    its header is why it was refused; else None (no mapping step)."""
    if upload.kind != ImportUpload.Kind.LEDGER:
        return None
    codes = {p.get("code") for p in upload.dry_run.get("problems", [])}
    if not codes & COLUMN_PROBLEMS or upload.dry_run.get("format") != "csv":
        return None
    with Path(upload.path).open("rb") as stream:
        header = read_header(stream.read(64 * 1024))
    fields = column_fields(header, upload.creditor.ledger_columns)
    return list(zip(header, fields, strict=True))


def import_upload_map(
    *, upload: ImportUpload, fields: Sequence[str], actor: str
) -> ImportUpload:
    """Map the staged CSV ledger's columns, in their order, to ``fields`` (``""``: left out),
    remember that for the creditor's later imports (the CLI's too), and check the file again."""
    columns = import_upload_columns(upload=upload)
    if columns is None:
        raise InvalidInputError("this file has no columns to map")
    if len(fields) != len(columns):
        raise InvalidInputError("give a field for each column of the file")
    creditor_columns_remember(
        creditor=upload.creditor,
        mapping={normalize_header(name): field for (name, _), field in zip(columns, fields, strict=True)},
    )
    upload.creditor.refresh_from_db(fields=["ledger_columns"])
    upload.dry_run = _run(upload, dry_run=True, actor=actor)
    upload.save(update_fields=["dry_run"])
    return upload


def import_upload_drop(*, upload: ImportUpload) -> None:
    path = Path(upload.path)
    if path.is_dir():  # e-invoices
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    if upload.pk:
        upload.delete()


def _uploads_expire() -> None:
    limit = timezone.now() - UPLOAD_MAX_AGE
    for upload in ImportUpload.objects.filter(created_at__lt=limit):
        import_upload_drop(upload=upload)
    # A file whose row never committed (a worker killed while checking it) has no upload to
    # drop it: gone after the same day, never kept for ever.
    kept = {Path(p).name for p in ImportUpload.objects.values_list("path", flat=True)}
    for entry in _uploads_dir().iterdir():
        try:
            old = entry.stat().st_mtime < limit.timestamp()
        except FileNotFoundError:
            continue
        if old and entry.name not in kept:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def creditor_logo_set(*, creditor: Creditor, data: bytes | None, actor: str) -> Creditor:
    """The letterhead's logo (PNG or JPEG, at most 1 MB), or none with ``data=None``; stored once
    under its SHA-256, the change recorded."""

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = ""
    if data is not None:
        kind = next((ext for magic, ext in LOGO_TYPES.items() if data.startswith(magic)), None)
        if kind is None:
            raise InvalidInputError("the logo must be a PNG or JPEG image")
        if len(data) > MAX_LOGO_BYTES:
            raise InvalidInputError("the logo must be at most 1 MB")
        digest = hashlib.sha256(data).hexdigest()
        name = f"logos/{digest}.{kind}"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(data))
    previous = creditor.logo.name or ""
    if previous == name:
        return creditor
    with transaction.atomic():
        creditor.logo.name = name
        creditor.save(update_fields=["logo"])
        event_record(
            kind="creditor.logo_changed", subject_type="creditor", subject_id=creditor.pk,
            creditor_id=creditor.pk, actor=actor,
            payload={"before": previous or None, "after": name or None},
        )
    return creditor


def smtp_test_send(*, creditor: Creditor, to: str, actor: str) -> str:
    """Send a short test message to ``to`` through the creditor's e-mail transport (its own
    server when set on the Settings page, else RELANCE_EMAIL_URL), from the creditor as the reminders are; its Message-ID, or an
    ``InvalidInputError`` with the server's reason."""
    import smtplib
    from email.utils import make_msgid

    from relance.apps.creditors.mail_server import mail_url_for
    from relance.channels.email_mime import OutgoingEmail, prepare
    from relance.channels.smtp import transport_from_url
    from relance.domain.errors import RelanceError

    domain = creditor.email.rpartition("@")[2] or "relance.invalid"
    message_id = make_msgid(domain=domain)
    text = (
        f"Ceci est un message d'essai de Relance pour {creditor.name}.\n"
        "Les relances partiront par ce même serveur.\n\n"
        f"This is a test message from Relance for {creditor.name}.\n"
        "Reminders will go out through this same server.\n"
    )
    mail = OutgoingEmail(
        message_id=message_id,
        from_name=creditor.name,
        from_address=creditor.email or "noreply@relance.invalid",
        to=to,
        reply_to=creditor.email,
        subject=f"Relance : message d'essai / test message ({creditor.name})",
        text=text,
        html="<p>" + text.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>",
    )
    try:
        transport = transport_from_url(mail_url_for(creditor=creditor).url)
    except RelanceError as exc:
        raise InvalidInputError(exc.message) from exc
    try:
        [outcome] = transport.send_group([prepare(mail)], before_commit=lambda ready: ready)
    except (OSError, smtplib.SMTPException) as exc:
        raise InvalidInputError(
            N_("the e-mail server could not be reached: %(reason)s"), params={"reason": str(exc)}
        ) from exc
    finally:
        transport.close()
    if outcome is not None:
        raise InvalidInputError(
            N_("the test message was not sent: %(reason)s"), params={"reason": str(outcome)}
        )
    event_record(
        kind="creditor.smtp_tested", subject_type="creditor", subject_id=creditor.pk,
        creditor_id=creditor.pk, actor=actor,
        payload={"to": to, "message_id": message_id,
                 "server": mail_url_for(creditor=creditor).shown},
    )
    return message_id
