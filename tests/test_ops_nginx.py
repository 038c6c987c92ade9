"""deploy/nginx.conf in front of deploy/gunicorn.conf.py, both for real: TLS, the redirect
from HTTP, the body limit, forwarded headers the client cannot fake, the request id
shared by nginx and the app, static files, and protected downloads via X-Accel-Redirect.

The shipped site file is used as it is, with only its host paths and ports replaced (the
certificate, the checkout, the upload folder, the listening ports), inside an nginx of the
test's own (own prefix, loopback ports, `daemon off`). `make test` installs nginx when it
is missing (.ci/install-nginx); without it these tests are skipped, and fail instead when
HELPDESK_TEST_REQUIRE_NGINX=1 (CI).
"""
import http.client
import io
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import PASSWORD, PNG_BYTES, make_ticket, make_user
from werkzeug.datastructures import FileStorage

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Role
from helpdesk.services.catalog.defaults import install_defaults

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                  else None)
if NGINX is None and os.environ.get("HELPDESK_TEST_REQUIRE_NGINX") == "1":
    raise RuntimeError("nginx is required (HELPDESK_TEST_REQUIRE_NGINX=1) but not installed")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_config(*, https: int, http: int, upstream: int, tls: Path, uploads: Path) -> str:
    """deploy/nginx.conf with this machine's paths and ports."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = [
        ("/etc/letsencrypt/live/helpdesk.example.com/fullchain.pem", str(tls / "cert.pem")),
        ("/etc/letsencrypt/live/helpdesk.example.com/privkey.pem", str(tls / "key.pem")),
        ("/etc/nginx/helpdesk_proxy_params", str(ROOT / "deploy" / "helpdesk_proxy_params")),
        ("/srv/helpdesk/app/static/", f"{ROOT / 'static'}/"),
        ("/var/lib/helpdesk/uploads/", f"{uploads}/"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
    ]
    for old, new in replacements:
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    # No IPv6 listeners in a sandbox that may have no ::1.
    return re.sub(r"^\s*listen \[::\]:.*$", "", text, flags=re.M)


def main_config(prefix: Path, site: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's files
    temp = "\n".join(f"  {kind}_temp_path {prefix / ('tmp_' + kind)};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'} info;\nevents {{}}\nhttp {{\n"
            f"  access_log {prefix / 'access.log'};\n{temp}\n  include {site};\n}}\n")


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"nothing listens on {port}: {log.read_text()}"
            time.sleep(0.2)


class Site:
    def __init__(self, https_port: int, http_port: int, app_log: Path, download: dict):
        self.https_port, self.http_port, self.app_log = https_port, http_port, app_log
        self.download = download
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate

    def request(self, method: str, path: str, *, body=None, headers=None,
                https: bool = True):
        if https:
            conn = http.client.HTTPSConnection("127.0.0.1", self.https_port,
                                               context=self.context, timeout=30)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        conn.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        response.body = response.read()
        conn.close()
        return response

    def sign_in(self, email: str) -> str:
        """The session cookie of a signed-in customer."""
        response = self.request("POST", "/auth/login", body=urlencode(
            {"email": email, "password": PASSWORD}),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status == 302, response.body[:300]
        return response.getheader("Set-Cookie").split(";", 1)[0]

    def app_lines(self) -> list[dict]:
        time.sleep(0.2)  # the line is written after the response is sent
        return [json.loads(line) for line in self.app_log.read_text().splitlines()
                if '"helpdesk.request"' in line]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One nginx + gunicorn for the module (they take seconds to start)."""
    tmp_path = tmp_path_factory.mktemp("site")
    uploads = tmp_path / "uploads"
    database = f"sqlite:///{tmp_path / 'site.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
        app = create_app({"DATABASE_URL": database, "SECRET_KEY": "x",
                          "UPLOAD_FOLDER": str(uploads)})
    with app.app_context():
        db.create_all()
        install_defaults()
        owner, other = (make_user(Role.CUSTOMER, email=email)
                        for email in ("owner@example.com", "other@example.com"))
        content = PNG_BYTES + os.urandom(300_000)  # larger than any buffer on the way
        ticket = make_ticket(owner, files=[FileStorage(stream=io.BytesIO(content),
                                                       filename="damage photo.png")])
        download = {"id": ticket.attachments[0].id, "content": content}
        db.engine.dispose()

    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(tls / "key.pem"),
                    "-out", str(tls / "cert.pem")], check=True, capture_output=True)
    upstream, https_port, http_port = _free_port(), _free_port(), _free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    site_file = prefix / "site.conf"
    site_file.write_text(site_config(https=https_port, http=http_port, upstream=upstream,
                                     tls=tls, uploads=uploads))
    (prefix / "nginx.conf").write_text(main_config(prefix, site_file))

    env = {**os.environ, "HELPDESK_DATABASE_URL": database, "HELPDESK_SECRET_KEY": "x",
           "HELPDESK_INSTANCE_PATH": str(tmp_path / "instance"),
           "HELPDESK_UPLOAD_FOLDER": str(uploads), "HELPDESK_TRUSTED_PROXIES": "1",
           "HELPDESK_ACCEL_REDIRECT_PREFIX": "/_protected_files/",
           "HELPDESK_WTF_CSRF_ENABLED": "false",
           "HELPDESK_BIND": f"127.0.0.1:{upstream}", "HELPDESK_WEB_WORKERS": "1",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    app_log = tmp_path / "gunicorn.log"
    started = []
    with open(app_log, "w") as log, open(prefix / "stderr.log", "w") as nginx_log:
        try:
            gunicorn = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                 "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            started.append(gunicorn)
            wait_for_port(upstream, gunicorn, app_log)
            nginx = subprocess.Popen([NGINX, "-c", str(prefix / "nginx.conf"),
                                      "-p", str(prefix)], stdout=nginx_log,
                                     stderr=subprocess.STDOUT)
            started.append(nginx)
            wait_for_port(https_port, nginx, prefix / "stderr.log")
            yield Site(https_port, http_port, app_log, download)
        finally:
            for process in reversed(started):
                process.terminate()
                process.wait(timeout=60)


def test_the_shipped_site_file_passes_nginx_own_check(tmp_path):
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    tls = tmp_path
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(tls / "key.pem"),
                    "-out", str(tls / "cert.pem")], check=True, capture_output=True)
    site_file = prefix / "site.conf"
    site_file.write_text(site_config(https=_free_port(), http=_free_port(), upstream=8000,
                                     tls=tls, uploads=tmp_path))
    (prefix / "nginx.conf").write_text(main_config(prefix, site_file))
    result = subprocess.run([NGINX, "-t", "-c", str(prefix / "nginx.conf"), "-p", str(prefix)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_plain_http_is_sent_to_https(site):
    response = site.request("GET", "/faq?q=x", https=False)
    assert response.status == 301
    assert response.getheader("Location") == "https://localhost/faq?q=x"


def test_pages_come_through_tls_with_hsts(site):
    response = site.request("GET", "/healthz")
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok"}
    assert response.getheader("Strict-Transport-Security") == "max-age=63072000"


def test_the_client_cannot_fake_its_address_or_the_request_id(site):
    response = site.request("GET", "/faq", headers={
        "X-Forwarded-For": "203.0.113.66", "X-Request-ID": "client-chosen-id-1234"})
    assert response.status == 200
    request_id = response.getheader("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, not the client's
    (line,) = [line for line in site.app_lines() if line["path"] == "/faq"]
    assert line["request_id"] == request_id
    assert line["remote_addr"] == "127.0.0.1"  # the address nginx saw, via ProxyFix


def test_a_body_over_the_limit_is_refused_by_nginx(site):
    too_big = b"x" * (25 * 1024 * 1024 + 1)
    response = site.request("POST", "/auth/login", body=too_big,
                            headers={"Content-Type": "application/octet-stream"})
    assert response.status == 413
    assert not [line for line in site.app_lines() if line["path"] == "/auth/login"]


def test_static_files_are_served_by_nginx(site):
    response = site.request("GET", "/static/css/app.css")
    assert response.status == 200
    assert response.getheader("Cache-Control") == "max-age=3600, public"
    assert not [line for line in site.app_lines() if line["path"].startswith("/static/")]


def test_the_protected_files_location_is_internal(site):
    response = site.request("GET", "/_protected_files/ab/" + "ab" * 16)
    assert response.status == 404


def test_downloads_pass_the_permission_check_then_nginx_sends_the_file(site):
    path = f"/files/{site.download['id']}"
    response = site.request("GET", path, headers={"Cookie": site.sign_in("owner@example.com")})
    assert response.status == 200
    assert response.body == site.download["content"]
    assert response.getheader("Content-Type") == "image/png"
    assert response.getheader("Content-Disposition") == 'attachment; filename="damage photo.png"'
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Accel-Redirect") is None  # nginx keeps that to itself
    (line,) = [line for line in site.app_lines() if line["path"] == path]
    assert line["status"] == 200 and line["bytes"] == 0  # gunicorn sent no file bytes


def test_nginx_answers_a_range_of_a_handed_over_file(site):
    response = site.request("GET", f"/files/{site.download['id']}", headers={
        "Cookie": site.sign_in("owner@example.com"), "Range": "bytes=0-7"})
    assert response.status == 206
    assert response.body == site.download["content"][:8]


def test_someone_else_gets_a_404_and_no_file(site):
    response = site.request("GET", f"/files/{site.download['id']}",
                            headers={"Cookie": site.sign_in("other@example.com")})
    assert response.status == 404
    assert site.download["content"][:64] not in response.body
