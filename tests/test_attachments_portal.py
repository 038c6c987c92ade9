"""Files in the portal: attach, download, and every refusal (too big, wrong type, empty,
too many, request too large) — with nothing half-written and no file left on disk."""
import io
import re
from pathlib import Path

import pytest
from conftest import PDF_BYTES, PNG_BYTES, login, make_ticket, make_user, stored_keys, upload
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder

from helpdesk.extensions import db
from helpdesk.models import Attachment, AuditEvent, Message, Role, Ticket
from helpdesk.services.files import attachments
from helpdesk.services.tickets import conversation

MB = 1024 * 1024
HTML_AS_PNG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body>"


def a_file(name: str, content: bytes) -> FileStorage:
    """A file as a view hands it to a service."""
    return FileStorage(io.BytesIO(content), filename=name)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_files(client, path: str, data: dict):
    """POST multipart data. Bodies over 500 KB are spooled by the test client to a temp
    file that it never closes; building the environ here lets the test close it."""
    environ = EnvironBuilder(path=path, method="POST", data=data,
                             content_type="multipart/form-data").get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def new_ticket(client, *files, **fields):
    data = {"subject": "Photos of the damage", "description": "See the attached files.",
            **fields}
    if files:
        data["attachments"] = list(files)
    return post_files(client, "/portal/tickets/new", data)


def fetch(client, url: str):
    """GET a file and close the response (send_file keeps the file open until then)."""
    with client.get(url) as response:
        response.get_data()
        return response


def download_links(html: str) -> list[str]:
    return re.findall(r'href="(/files/\d+)"', html)


# --- attaching and downloading -----------------------------------------------------------

def test_a_new_ticket_takes_several_files_in_one_input(app, client, customer):
    login(client, customer)
    response = new_ticket(client, upload("front.png", PNG_BYTES),
                          upload("receipt.pdf", PDF_BYTES))
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    files = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(f.original_name, f.content_type, f.message_id) for f in files] == [
        ("front.png", "image/png", None), ("receipt.pdf", "application/pdf", None)]
    assert all(f.ticket_id == ticket.id and f.uploader_id == customer.id for f in files)
    assert len(stored_files(app)) == 2
    assert db.session.scalar(select(AuditEvent.new_value).filter_by(
        ticket_id=ticket.id, action="attachment_added")) == "2"

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "front.png" in html and "receipt.pdf" in html
    assert download_links(html) == [f"/files/{files[0].id}", f"/files/{files[1].id}"]


def test_a_file_downloads_as_an_attachment_with_its_name_and_type(
        storage_backend, app, client, customer):
    ticket = make_ticket(customer, files=[a_file("my receipt.pdf", PDF_BYTES)])
    attachment = ticket.attachments[0]
    login(client, customer)
    response = fetch(client, f"/files/{attachment.id}")
    assert response.status_code == 200
    assert response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my receipt.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Length"] == str(len(PDF_BYTES))
    assert response.headers["Cache-Control"] == "no-cache, max-age=0, private"
    assert response.headers["ETag"] == f'"{attachment.sha256}"'
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Last-Modified" in response.headers and "Expires" in response.headers
    # The bytes come through the app: nothing names the bucket or the storage server.
    where = {app.config.get("S3_BUCKET"), app.config.get("S3_ENDPOINT_URL"), "amazonaws"}
    assert not any(w and w in str(response.headers) for w in where)


def test_a_download_answers_ranges_and_revalidation(storage_backend, client, customer):
    """Resumed downloads (Range) and revalidation (If-None-Match) on either backend."""
    ticket = make_ticket(customer, files=[a_file("receipt.pdf", PDF_BYTES)])
    url = f"/files/{ticket.attachments[0].id}"
    login(client, customer)
    with client.get(url, headers={"Range": "bytes=5-12"}) as response:
        assert response.status_code == 206
        assert response.get_data() == PDF_BYTES[5:13]
        assert response.headers["Content-Range"] == f"bytes 5-12/{len(PDF_BYTES)}"
        assert response.headers["Content-Disposition"].startswith("attachment;")
    etag = fetch(client, url).headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status_code == 304
        assert response.get_data() == b""
    with client.get(url, headers={"Range": f"bytes={len(PDF_BYTES) + 10}-"}) as response:
        assert response.status_code == 416


def test_the_configured_storage_is_made_once_per_app(storage_backend, app):
    store = attachments.storage()
    assert type(store).__name__ == {"local": "LocalStorage", "s3": "S3Storage"}[
        storage_backend]
    assert attachments.storage() is store


def test_a_non_ascii_file_name_survives_the_download(client, customer):
    ticket = make_ticket(customer, files=[a_file("résumé.pdf", PDF_BYTES)])
    login(client, customer)
    disposition = fetch(client, f"/files/{ticket.attachments[0].id}").headers[
        "Content-Disposition"]
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in disposition


def test_a_reply_carries_its_files_into_the_thread(client, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    response = client.post(f"/portal/tickets/{ticket.number}/reply", data={
        "body": "Two more photos", "attachments": [upload("side.png", PNG_BYTES),
                                                   upload("top.png", PNG_BYTES)]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    message = db.session.scalar(select(Message))
    assert sorted(a.original_name for a in message.attachments) == ["side.png", "top.png"]
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert len(download_links(html)) == 2
    assert fetch(client, download_links(html)[0]).data == PNG_BYTES


def test_staff_download_through_the_same_view(storage_backend, client, customer, agent):
    ticket = make_ticket(customer, files=[a_file("front.png", PNG_BYTES)])
    login(client, agent)
    assert fetch(client, f"/files/{ticket.attachments[0].id}").data == PNG_BYTES


# --- who may download ----------------------------------------------------------------------

def test_another_customers_file_is_not_found(storage_backend, client, customer,
                                              other_customer):
    theirs = make_ticket(other_customer, files=[a_file("private.png", PNG_BYTES)])
    login(client, customer)
    assert client.get(f"/files/{theirs.attachments[0].id}").status_code == 404
    assert client.get("/files/987654").status_code == 404


def test_a_file_needs_a_signed_in_person_who_may_see_it(client, app, customer):
    ticket = make_ticket(customer, files=[a_file("front.png", PNG_BYTES)])
    response = client.get(f"/files/{ticket.attachments[0].id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(client, make_user(Role.AGENT, agent_status="pending"))
    assert client.get(f"/files/{ticket.attachments[0].id}").status_code == 404


def test_internal_note_files_are_never_downloadable_by_the_customer(storage_backend, client,
                                                                   customer, admin):
    ticket = make_ticket(customer)
    note = conversation.post_reply(ticket, admin, "Courier report", internal=True,
                              files=[a_file("courier.pdf", PDF_BYTES)])
    attachment_id = note.attachments[0].id
    login(client, customer)
    assert client.get(f"/files/{attachment_id}").status_code == 404
    assert "courier.pdf" not in client.get(f"/portal/tickets/{ticket.number}").get_data(
        as_text=True)
    client.post("/auth/logout")
    login(client, admin)
    assert fetch(client, f"/files/{attachment_id}").data == PDF_BYTES


def test_a_file_missing_from_storage_is_not_found_rather_than_an_error(
        storage_backend, app, client, customer):
    ticket = make_ticket(customer, files=[a_file("front.png", PNG_BYTES)])
    attachments.storage().delete(ticket.attachments[0].stored_name)
    assert stored_keys(app) == set()
    login(client, customer)
    assert client.get(f"/files/{ticket.attachments[0].id}").status_code == 404


# --- refusals --------------------------------------------------------------------------------

BAD_FILES = [
    pytest.param(("huge.png", PNG_BYTES + b"\0" * (10 * MB + 1 - len(PNG_BYTES))),
                 "larger than the 10 MB limit", id="over-10MB"),
    pytest.param(("cat.png", HTML_AS_PNG), "does not look like a .png file", id="html-as-png"),
    pytest.param(("notes.txt", HTML_AS_PNG), "looks like a web page", id="html-as-txt"),
    pytest.param(("page.html", HTML_AS_PNG), "this file type is not allowed", id="html"),
    pytest.param(("setup.exe", b"MZ\x90\x00" + b"\0" * 60), "this file type is not allowed",
                 id="exe"),
    pytest.param(("empty.pdf", b""), "empty.pdf is empty", id="empty"),
]


@pytest.mark.parametrize("bad, message", BAD_FILES)
def test_a_bad_file_refuses_the_new_ticket_next_to_the_field_and_leaves_nothing(
        app, client, customer, bad, message):
    login(client, customer)
    response = new_ticket(client, upload("fine.png", PNG_BYTES), upload(*bad),
                          subject="Typed subject stays")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="attachments-error">(?:(?!</p>).)*' + re.escape(message), html,
                     re.S)
    assert "Typed subject stays" in html
    assert (count(Ticket), count(Attachment), count(AuditEvent)) == (0, 0, 0)
    assert stored_files(app) == []


@pytest.mark.parametrize("bad, message", BAD_FILES)
def test_a_bad_file_refuses_the_reply_next_to_the_field_and_leaves_nothing(
        app, client, customer, bad, message):
    ticket = make_ticket(customer)
    events = count(AuditEvent)
    login(client, customer)
    response = post_files(client, f"/portal/tickets/{ticket.number}/reply", data={
        "body": "Typed reply stays", "attachments": [upload("ok.pdf", PDF_BYTES),
                                                     upload(*bad)]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="attachments-error"' in html and message in html
    assert "Typed reply stays" in html
    assert (count(Message), count(Attachment), count(AuditEvent)) == (0, 0, events)
    assert stored_files(app) == []


def test_more_files_than_allowed_are_refused(app, client, customer):
    login(client, customer)
    limit = app.config["MAX_FILES"]
    response = new_ticket(client, *[upload(f"p{n}.png", PNG_BYTES) for n in range(limit + 1)])
    assert response.status_code == 400
    assert f"Attach at most {limit} files at a time." in response.get_data(as_text=True)
    assert (count(Ticket), stored_files(app)) == (0, [])


@pytest.fixture
def small_requests(app_config):
    app_config["MAX_CONTENT_LENGTH"] = 64 * 1024


def test_a_request_over_the_size_limit_gets_a_friendly_page(small_requests, app, client,
                                                           customer):
    login(client, customer)
    response = new_ticket(client, upload("big.pdf", PDF_BYTES + b"\0" * 100 * 1024))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "That upload is too large" in html and "Traceback" not in html
    assert (count(Ticket), stored_files(app)) == (0, [])


def test_the_form_says_what_is_allowed(client, customer):
    login(client, customer)
    html = client.get("/portal/tickets/new").get_data(as_text=True)
    assert "Up to 10 files, 10 MB each" in html

