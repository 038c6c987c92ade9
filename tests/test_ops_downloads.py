"""Downloads handed to nginx with X-Accel-Redirect (HELPDESK_ACCEL_REDIRECT_PREFIX) when
files are on local disk: only after the permission check, and only for local storage.
(tests/test_ops_nginx.py runs the same through a real nginx.)"""
import pytest
from conftest import PNG_BYTES, login, make_ticket, upload
from werkzeug.datastructures import FileStorage

from helpdesk.models import Attachment

PREFIX = "/_protected_files/"


@pytest.fixture
def attachment(customer) -> Attachment:
    stream, _ = upload("x", PNG_BYTES)
    ticket = make_ticket(customer, files=[FileStorage(stream=stream,
                                                      filename="Schäden am Paket.png")])
    return ticket.attachments[0]


def test_the_owner_gets_an_empty_answer_that_names_the_file_for_nginx(app, client, customer,
                                                                     attachment):
    app.config["ACCEL_REDIRECT_PREFIX"] = PREFIX
    login(client, customer)
    response = client.get(f"/files/{attachment.id}")
    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"] == PREFIX + attachment.stored_name
    assert response.get_data() == b""
    assert response.headers["Content-Type"] == "image/png"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Sch%C3%A4den%20am%20Paket.png" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"]


def test_someone_who_may_not_see_the_file_gets_a_404_and_no_redirect(app, client,
                                                                    other_customer,
                                                                    attachment):
    app.config["ACCEL_REDIRECT_PREFIX"] = PREFIX
    login(client, other_customer)
    response = client.get(f"/files/{attachment.id}")
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response.headers


def test_without_the_setting_the_app_streams_the_file(client, customer, attachment):
    login(client, customer)
    with client.get(f"/files/{attachment.id}") as response:
        assert "X-Accel-Redirect" not in response.headers
        assert response.get_data() == PNG_BYTES


@pytest.mark.parametrize("storage_backend", ["s3"], indirect=True)
def test_object_storage_is_always_streamed_by_the_app(app, client, customer, storage_backend,
                                                      attachment):
    app.config["ACCEL_REDIRECT_PREFIX"] = PREFIX  # no folder nginx could read
    login(client, customer)
    with client.get(f"/files/{attachment.id}") as response:
        assert "X-Accel-Redirect" not in response.headers
        assert response.get_data() == PNG_BYTES
