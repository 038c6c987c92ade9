"""The floor: a bare Flask "hello world", served by gunicorn exactly like the app
(`gunicorn bench.floor:app`), so a page's req/s can be read against what Flask and
gunicorn cost on this machine with no database, session or template at all."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
