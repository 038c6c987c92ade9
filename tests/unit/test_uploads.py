"""Upload validation: real file headers in, accept/reject decisions out."""

import io
import struct
import zipfile
import zlib

import pytest

from helpdesk.services.files.uploads import (
    ALLOWED_TYPES,
    CONTENT_TYPES,
    CheckedUpload,
    UploadRejected,
    inspect_upload,
    safe_display_name,
)

MB = 1024 * 1024
LIMIT = 10 * MB


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def make_png() -> bytes:
    """A complete, valid 1x1 greyscale PNG."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")  # filter byte + one pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


PNG = make_png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


DOCX = make_zip(
    {
        "[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>",
    }
)


def check(name: str, content: bytes, *, size: int | None = None) -> CheckedUpload:
    head = content[: 8 * 1024]
    return inspect_upload(name, head, len(content) if size is None else size, max_bytes=LIMIT)


# --- accepted files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screenshot.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("pic.webp", WEBP, "image/webp"),
        ("invoice.pdf", PDF, "application/pdf"),
        ("logs.zip", make_zip({"app.log": b"started\n"}), "application/zip"),
        ("letter.docx", DOCX, CONTENT_TYPES["docx"]),
        # An OOXML file whose members filetype cannot see is still a zip container.
        ("sheet.xlsx", make_zip({"other.xml": b"<x/>"}), CONTENT_TYPES["xlsx"]),
        # A real Word 97 header (FIB magic at sector 1) and a bare OLE header.
        ("old.doc", OLE + b"\x00" * 504 + b"\xec\xa5\xc1\x00" + b"\x00" * 64, "application/msword"),
        ("old.xls", OLE + b"\x00" * 56, "application/vnd.ms-excel"),
        (
            "notes.txt",
            "Printer on floor 3 says “PC LOAD LETTER”.\n".encode(),
            "text/plain; charset=utf-8",
        ),
        ("app.log", b"2024-01-01 ERROR boom\n", "text/plain; charset=utf-8"),
        ("readme.md", b"# Steps\n\n1. Click <Save>\n", "text/plain; charset=utf-8"),
        ("export.csv", b"id,email\n1,<bob@example.com>\n", "text/csv"),
        ("payload.json", b'{"html": "<html>"}', "application/json"),
    ],
)
def test_accepts_genuine_files(name, content, content_type):
    checked = check(name, content)
    assert checked.content_type == content_type
    assert checked.display_name == name
    assert checked.extension == name.rsplit(".", 1)[1].lower()
    assert checked.size == len(content)


def test_result_is_frozen():
    checked = check("a.txt", b"hi")
    with pytest.raises(AttributeError):
        checked.size = 1


def test_text_with_bom_is_accepted():
    assert check("bom.csv", b"\xef\xbb\xbfa,b\n1,2\n").content_type == "text/csv"


def test_text_head_may_end_mid_character_when_file_is_longer():
    # "é" is two bytes; the 8 KiB head can cut it in half without the file being bad.
    head = b"a" * 8191 + "é".encode()[:1]
    assert inspect_upload("long.txt", head, 20_000, max_bytes=LIMIT).extension == "txt"


def test_size_exactly_at_limit_is_accepted():
    assert inspect_upload("big.pdf", PDF, LIMIT, max_bytes=LIMIT).size == LIMIT


# --- rejected content -------------------------------------------------------------------


def rejected(name: str, content: bytes, **kwargs) -> str:
    with pytest.raises(UploadRejected) as info:
        check(name, content, **kwargs)
    return str(info.value)


def test_html_disguised_as_png_is_rejected():
    assert rejected("cat.png", HTML) == "cat.png does not look like a .png file."


def test_html_disguised_as_text_is_rejected():
    assert "web page" in rejected("notes.txt", HTML)


@pytest.mark.parametrize(
    "content",
    [
        b"  \n<HTML><body>hi</body></HTML>",
        b"\xef\xbb\xbf<!doctype html>\n<p>hi",
        b"<script>alert(1)</script>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        SVG,
        b"<iframe src=x>",
        b"<!-- comment --><b>x</b>",
        b"<html",
    ],
)
def test_markup_in_text_types_is_rejected(content):
    assert "web page" in rejected("data.md", content)


def test_svg_file_is_rejected():
    assert rejected("logo.svg", SVG) == "logo.svg: this file type is not allowed."


def test_svg_disguised_as_image_is_rejected():
    assert "does not look like" in rejected("logo.webp", SVG)


@pytest.mark.parametrize(
    "name",
    [
        "report.exe",
        "page.html",
        "page.htm",
        "app.js",
        "x.xhtml",
        "run.sh",
        "shell.php",
        "run.bat",
        "logo.svg",
        "data.xml",
    ],
)
def test_disallowed_extensions_are_rejected(name):
    assert rejected(name, b"hello") == f"{name}: this file type is not allowed."


def test_exe_renamed_to_pdf_is_rejected():
    assert "does not look like a .pdf file" in rejected("report.pdf", EXE)


def test_exe_renamed_to_txt_is_rejected():
    assert "not look like a text file" in rejected("report.txt", EXE)


def test_pdf_renamed_to_docx_is_rejected():
    assert "does not look like a .docx file" in rejected("letter.docx", PDF)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.png", PDF),
        ("photo.jpg", PNG),
        ("anim.gif", JPEG),
        ("pic.webp", GIF),
        ("report.pdf", make_zip({"a.txt": b"a"})),
        ("archive.zip", PDF),
        ("old.doc", make_zip({"a.txt": b"a"})),
        ("old.xls", PDF),
        # Starts with the zip signature, but filetype knows it is a presentation.
        ("slides.odt", make_zip({"mimetype": b"application/vnd.oasis.opendocument.presentation"})),
    ],
)
def test_content_of_another_type_is_rejected(name, content):
    ext = name.rsplit(".", 1)[1]
    assert rejected(name, content) == f"{name} does not look like a .{ext} file."


def test_non_utf8_text_is_rejected():
    assert "not UTF-8" in rejected("latin1.txt", "café".encode("latin-1"))


def test_truncated_character_at_real_end_of_file_is_rejected():
    assert "not UTF-8" in rejected("cut.txt", b"caf" + "é".encode()[:1])


def test_missing_extension_is_rejected():
    assert rejected("README", b"hello") == "README: this file type is not allowed."


def test_empty_file_is_rejected():
    assert rejected("empty.txt", b"") == "empty.txt is empty."


def test_oversize_file_is_rejected_with_limit_in_mb():
    message = rejected("big.pdf", PDF, size=LIMIT + 1)
    assert message == "big.pdf is larger than the 10 MB limit."


def test_nameless_file_is_rejected():
    assert rejected("../", b"hello") == "The file needs a name."


def test_allowlist_has_no_active_content():
    risky = {"html", "htm", "svg", "js", "exe", "xml", "xhtml", "php", "sh", "bat"}
    assert risky.isdisjoint(ALLOWED_TYPES)
    assert set(ALLOWED_TYPES) == set(CONTENT_TYPES)


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.txt", "win.txt"),
        ("C:\\fakepath\\scan.pdf", "scan.pdf"),
        ("/abs/path/ok.png", "ok.png"),
        ("...hidden.txt", "hidden.txt"),
        ("  my \t  report\n.txt ", "my report .txt"),
        ("bad\x00name\x07.txt", "badname.txt"),
        ("inv\u202eoice.txt", "invoice.txt"),  # right-to-left override
        ("résumé.pdf", "résumé.pdf"),
        ("", ""),
        ("..", ""),
        ("a/b/", ""),
        ("\x00\x01\x02", ""),
    ],
)
def test_safe_display_name(raw, expected):
    assert safe_display_name(raw) == expected


def test_nul_cannot_hide_the_real_extension():
    # A C-string consumer would read "notes.txt"; the real extension is .exe.
    assert rejected("notes.txt\x00.exe", b"MZ") == "notes.txt.exe: this file type is not allowed."


def test_long_name_is_truncated_keeping_extension():
    name = safe_display_name("x" * 300 + ".pdf")
    assert len(name) == 150
    assert name == "x" * 146 + ".pdf"


def test_long_name_without_extension_is_cut():
    assert safe_display_name("y" * 300) == "y" * 150


def test_inspect_returns_the_safe_name():
    checked = check("../../etc/passwd.txt", b"root:x:0:0\n")
    assert checked.display_name == "passwd.txt"
