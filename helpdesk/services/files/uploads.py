"""Validation of uploaded attachments, before anything is written to storage.

Uploads are untrusted twice over: the *name* may try to escape a directory or spoof an
extension, and the *content* may not be what the extension claims (an HTML page saved as
``.png`` becomes stored XSS if it is ever served inline). So a file is accepted only when
its extension is on a short allowlist **and** its first bytes agree with that extension.

The canonical Content-Type we return comes from the extension, never from the browser's
claimed type, which the client controls. Names returned here are for display and for
Content-Disposition only; storage keys are random and never derived from them.

Pure Python: no Flask, no database, so it is trivially unit-testable.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import filetype

__all__ = [
    "ALLOWED_TYPES",
    "CONTENT_TYPES",
    "TEXT_EXTENSIONS",
    "CheckedUpload",
    "UploadRejected",
    "describe_limit",
    "inspect_upload",
    "looks_like_markup",
    "safe_display_name",
]

MAX_NAME_LENGTH = 150

# Longest extension we try to keep when shortening a name; anything longer is not a real
# extension (and not on the allowlist anyway), so it is simply cut with the rest.
_MAX_KEPT_EXTENSION = 16

_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # local file header, empty archive
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary (Office 97-2003)

_ZIP = "application/zip"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_ODT = "application/vnd.oasis.opendocument.text"
_ODS = "application/vnd.oasis.opendocument.spreadsheet"
_DOC = "application/msword"
_XLS = "application/vnd.ms-excel"
# filetype tells the OLE-based formats apart by heuristics on sector 1, which real files
# do not always satisfy; any of these means "an Office 97-2003 file", which is what we need.
_OLE_FAMILY = frozenset({_DOC, _XLS, "application/vnd.ms-powerpoint"})

# Extensions whose content must be UTF-8 text rather than a recognised binary format.
TEXT_EXTENSIONS = frozenset({"txt", "log", "csv", "md", "json"})

# extension -> MIME types that `filetype` may report for a genuine file of that type.
# For text types (which have no magic bytes) this is the type the text check stands for.
# html, svg, xml, js, exe, ... are deliberately absent: they can run script in a browser
# or on a desktop.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "png": frozenset({"image/png", "image/apng"}),  # filetype reports animated PNG as apng
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "gif": frozenset({"image/gif"}),
    "webp": frozenset({"image/webp"}),
    "pdf": frozenset({"application/pdf"}),
    # A .zip of Office documents is still just a zip to us.
    "zip": frozenset({_ZIP, _DOCX, _XLSX, _PPTX, _ODT, _ODS, "application/epub+zip"}),
    # filetype recognises OOXML/ODF only from the first few archive members; files written
    # by other tools show up as a plain zip, which is still the right container.
    "docx": frozenset({_DOCX, _ZIP}),
    "xlsx": frozenset({_XLSX, _ZIP}),
    "pptx": frozenset({_PPTX, _ZIP}),
    "odt": frozenset({_ODT, _ZIP}),
    "ods": frozenset({_ODS, _ZIP}),
    "doc": _OLE_FAMILY,
    "xls": _OLE_FAMILY,
    "txt": frozenset({"text/plain"}),
    "log": frozenset({"text/plain"}),
    "md": frozenset({"text/markdown"}),
    "csv": frozenset({"text/csv"}),
    "json": frozenset({"application/json"}),
}

# extension -> the Content-Type we serve the file with.
CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "zip": _ZIP,
    "docx": _DOCX,
    "xlsx": _XLSX,
    "pptx": _PPTX,
    "odt": _ODT,
    "ods": _ODS,
    "doc": _DOC,
    "xls": _XLS,
    # text/markdown would make some browsers offer a download and others render nothing;
    # plain text is what a reader expects to see.
    "txt": "text/plain; charset=utf-8",
    "log": "text/plain; charset=utf-8",
    "md": "text/plain; charset=utf-8",
    "csv": "text/csv",
    "json": "application/json",
}

# Container signatures accepted when filetype cannot classify the file more precisely
# (e.g. an OLE file whose head is shorter than filetype's heuristics need).
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    **{ext: _ZIP_SIGNATURES for ext in ("zip", "docx", "xlsx", "pptx", "odt", "ods")},
    "doc": (_OLE_SIGNATURE,),
    "xls": (_OLE_SIGNATURE,),
}

# Openings that make a browser (or anything that sniffs) treat text as markup. Modelled on
# the WHATWG MIME-sniffing "HTML signatures", plus SVG/XML, which can carry script too.
# A tag must end there (space, "/", ">" or end of text) so "<bob@example.com>" is text.
_MARKUP_TAGS = (
    "!doctype html", "html", "head", "body", "script", "iframe", "svg", "style", "title",
    "table", "div", "font", "a", "b", "p", "br", "h1", "meta", "object", "embed",
)  # fmt: skip
# Leading whitespace and stray BOMs are skipped, as sniffers do.
_MARKUP_RE = re.compile(
    r"[\s\ufeff]*<(?:\?xml|!--|(?:"
    + "|".join(re.escape(tag) for tag in _MARKUP_TAGS)
    + r")(?:[\s/>]|\Z))"
)

# Controls, invisible formatting (bidi overrides, zero-width), lone surrogates, line and
# paragraph separators. Whitespace among them is turned into a plain space instead.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class UploadRejected(ValueError):
    """An upload we refuse; ``str(exc)`` is a sentence that can be shown to the user."""


@dataclass(frozen=True)
class CheckedUpload:
    """What the rest of the app may rely on once an upload has passed inspection."""

    display_name: str
    extension: str
    content_type: str
    size: int


def describe_limit(max_bytes: int) -> str:
    """Human form of a size limit, e.g. ``10 MB`` (1 MB = 1024 * 1024 bytes)."""
    megabytes = max_bytes / (1024 * 1024)
    if megabytes >= 1:
        return f"{round(megabytes, 1):g} MB"
    # Only tiny test limits get here; "0.0001 MB" would help nobody.
    kilobytes = max_bytes / 1024
    return f"{round(kilobytes, 1):g} KB" if kilobytes >= 1 else f"{max_bytes} bytes"


def safe_display_name(filename: str) -> str:
    """Reduce a client-supplied file name to something safe to *show*.

    Keeps only the last path component (clients send ``C:\\fakepath\\x`` or worse), drops
    control and invisible formatting characters (NUL truncation tricks, right-to-left
    overrides that make ``exe.txt`` read as ``txt.exe``), and leading dots (hidden files,
    ``..``). Returns "" when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = "".join(" " if ch.isspace() else ch for ch in name if not _is_unsafe(ch))
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(name.split())
    name = name.lstrip(". ").rstrip(". ")  # trailing dots/spaces vanish on Windows anyway
    return _truncate(name)


def _is_unsafe(ch: str) -> bool:
    # Whitespace controls (tab, newline) are kept here and collapsed to a space later.
    return not ch.isspace() and unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _truncate(name: str) -> str:
    """Shorten to MAX_NAME_LENGTH, keeping the extension so the name still says its type."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > _MAX_KEPT_EXTENSION:
        return name[:MAX_NAME_LENGTH].rstrip(". ")
    return stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(". ") + "." + ext


def _extension(display_name: str) -> str:
    stem, dot, ext = display_name.rpartition(".")
    return ext.lower() if dot and stem else ""


def inspect_upload(filename: str, head: bytes, size: int, *, max_bytes: int) -> CheckedUpload:
    """Accept or reject an upload from its name, first bytes and total size.

    ``head`` is the first 8 KiB of the file (or all of it, if shorter); ``size`` is the
    full length. Raises UploadRejected with a user-facing message on any problem.
    """
    name = safe_display_name(filename)
    if not name:
        raise UploadRejected("The file needs a name.")
    if size <= 0:
        raise UploadRejected(f"{name} is empty.")
    if size > max_bytes:
        raise UploadRejected(f"{name} is larger than the {describe_limit(max_bytes)} limit.")
    ext = _extension(name)
    if ext not in ALLOWED_TYPES:
        raise UploadRejected(f"{name}: this file type is not allowed.")
    head = bytes(head)  # filetype treats a str as a path; never let it see one
    if ext in TEXT_EXTENSIONS:
        _check_text(name, head, complete=len(head) >= size)
    else:
        _check_binary(name, ext, head)
    return CheckedUpload(name, ext, CONTENT_TYPES[ext], size)


def _check_binary(name: str, ext: str, head: bytes) -> None:
    """The magic bytes must agree with the extension, so a renamed file cannot sneak in."""
    kind = filetype.guess(head)
    if kind is not None and kind.mime in ALLOWED_TYPES[ext]:
        return
    # filetype may not know the finer format, but the container signature is enough.
    if kind is None and head.startswith(_SIGNATURES.get(ext, ())):
        return
    raise UploadRejected(f"{name} does not look like a .{ext} file.")


def _check_text(name: str, head: bytes, *, complete: bool) -> None:
    """Text must be UTF-8 (BOM allowed), free of NULs, and not markup in disguise."""
    if b"\x00" in head:
        raise UploadRejected(f"{name} does not look like a text file.")
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        # When head is only a prefix it may end mid-character; final=False tolerates that.
        text = decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        raise UploadRejected(f"{name} is not UTF-8 text.") from None
    if looks_like_markup(text):
        raise UploadRejected(f"{name} looks like a web page, which is not allowed.")


def looks_like_markup(text: str) -> bool:
    """True if a browser sniffing this text could decide it is HTML, SVG or XML."""
    return _MARKUP_RE.match(text.lower()) is not None
