"""/readyz follows a real PostgreSQL server going away and coming back.

The test runs its own throw-away cluster (initdb + pg_ctl on a free loopback port in a
temporary folder, as the `postgres` user when run as root), so stopping it disturbs
nobody else's server.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from helpdesk import create_app
from helpdesk.extensions import db


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


INITDB, PG_CTL = _pg_binary("initdb"), _pg_binary("pg_ctl")
pytestmark = pytest.mark.skipif(not (INITDB and PG_CTL), reason="PostgreSQL not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of our own: start, stop, and a URL for it."""

    def __init__(self, root: Path):
        self.root, self.data, self.port = root, root / "data", _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(INITDB, "-D", str(self.data), "--auth=trust", "--username=postgres",
                  "--no-sync", "--encoding=UTF8")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run(PG_CTL, "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run(PG_CTL, "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster():
    root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    own = Cluster(root)
    own.init()
    own.start()
    try:
        yield own
    finally:
        subprocess.run([*own.as_user, PG_CTL, "-D", str(own.data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


def test_readyz_turns_503_when_postgresql_stops_and_200_when_it_returns(
        cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SECRET_KEY": "x", "TESTING": True, "DATABASE_URL": cluster.url,
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    try:
        assert client.get("/readyz").status_code == 200

        cluster.stop()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"]["database"] == "failed"
        assert response.json["checks"]["storage"] == "ok"
        assert client.get("/healthz").status_code == 200  # alive, just not ready

        cluster.start()
        response = client.get("/readyz")
        assert response.status_code == 200, response.json
        assert response.json["checks"]["database"] == "ok"
    finally:
        with app.app_context():
            db.engine.dispose()
