"""Locust users for the load test of a real deployment (run.py starts everything).

Customers open tickets with a file, reply (sometimes with a file), read their tickets and
download files; agents work the queue, search, take tickets, reply, add notes and change
status; admins look at the dashboard and export CSV. Every form is fetched first and
posted with its csrf_token, as a browser does.

The mix is free of races by design, so any refusal is a real error: each agent user takes
only tickets whose number falls in its own share (number mod SHARES), and agents move their
tickets only between open, in progress and on hold — moves a customer's reply (on hold ->
open) can never invalidate. Each user counts what it created; run.py compares the counts
with the database afterwards.

Users log in with accounts from LOADTEST_USERS (a JSON file written by prepare.py).
"""
import itertools
import json
import os
import random
import re
import threading

from locust import HttpUser, between, events, task

USERS = json.loads(open(os.environ["LOADTEST_USERS"]).read())  # noqa: SIM115
PASSWORD = USERS["password"]
TALLY_FILE = os.environ["LOADTEST_TALLY"]
# Tickets are split into this many shares, one per agent user (run.py: the user count, an
# upper bound on the agent users); a share nobody holds is simply never taken.
SHARES = int(os.environ.get("LOADTEST_SHARES", "50"))

CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')
AGENT_TICKET = re.compile(r'href="/agent/tickets/([^"/?#]*\d)"')
PORTAL_TICKET = re.compile(r'href="/portal/tickets/([^"/?#]*\d)"')
FILE_LINK = re.compile(r'href="/files/(\d+)"')
NUMBER_DIGITS = re.compile(r"(\d+)$")

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
       b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
       b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WORDS = ["parcel", "invoice", "refund", "damaged", "login", "delivery", "password", "size",
         "colour", "warranty", "battery", "screen", "courier", "discount", "voucher"]
SAFE_STATUSES = ["open", "in_progress", "on_hold"]  # see the module docstring

_tally = {"tickets": 0, "messages": 0, "files": 0, "downloads": 0, "takes": 0,
          "status_changes": 0}
_tally_lock = threading.Lock()


def count(**items) -> None:
    with _tally_lock:
        for name, n in items.items():
            _tally[name] += n


@events.test_stop.add_listener
def write_tally(**_kwargs) -> None:
    with open(TALLY_FILE, "w") as out:
        json.dump(_tally, out)


def csrf_token(html: str) -> str:
    tag = CSRF.search(html)
    if tag is None:
        raise AssertionError("no csrf_token on the page")
    return VALUE.search(tag.group(0)).group(1)


def sentence() -> str:
    return " ".join(random.choices(WORDS, k=random.randint(4, 12))).capitalize() + "."


def attachment(kind: str | None = None) -> tuple[str, bytes, str]:
    kind = kind or random.choice(["png", "pdf"])
    # Some bytes after the end keep each file distinct; the type check only reads the head.
    tail = os.urandom(random.randint(200, 20_000))
    if kind == "png":
        return (f"photo-{random.randint(1, 9999)}.png", PNG + tail, "image/png")
    return (f"receipt-{random.randint(1, 9999)}.pdf", PDF + tail, "application/pdf")


class SignedIn(HttpUser):
    abstract = True
    accounts: itertools.cycle

    def on_start(self):
        self.email = next(self.accounts)
        page = self.client.get("/auth/login", name="/auth/login [form]")
        with self.client.post("/auth/login", name="/auth/login", allow_redirects=False,
                              data={"email": self.email, "password": PASSWORD,
                                    "csrf_token": csrf_token(page.text)},
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"sign-in failed: {response.status_code}")

    def post_form(self, page_url: str, page_name: str, action: str, name: str, data: dict,
                  files=None):
        """GET the page with the form, POST it with the page's csrf_token; a redirect
        (302) is success, anything else a failure."""
        page = self.client.get(page_url, name=page_name)
        with self.client.post(action, name=name, data={**data, "csrf_token":
                                                       csrf_token(page.text)},
                              files=files, allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code}: {response.text[:300]}")
                return None
            return response


class Customer(SignedIn):
    weight = 6
    wait_time = between(2, 6)
    accounts = itertools.cycle(USERS["customers"])

    def on_start(self):
        super().on_start()
        self.tickets: list[str] = []
        self.open_ticket()

    @task(3)
    def open_ticket(self):
        name, content, mime = attachment()
        response = self.post_form(
            "/portal/tickets/new", "/portal/tickets/new [form]", "/portal/tickets/new",
            "/portal/tickets/new", {"subject": sentence()[:80], "description": sentence(),
                                    "order_reference": f"ORD-{random.randint(1000, 99999)}"},
            files={"attachments": (name, content, mime)})
        if response is not None:
            number = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
            self.tickets.append(number)
            count(tickets=1, files=1)

    @task(4)
    def reply(self):
        if not self.tickets:
            return
        number = random.choice(self.tickets)
        files = None
        if random.random() < 0.3:
            name, content, mime = attachment()
            files = {"attachments": (name, content, mime)}
        response = self.post_form(
            f"/portal/tickets/{number}", "/portal/tickets/[n]",
            f"/portal/tickets/{number}/reply", "/portal/tickets/[n]/reply",
            {"body": sentence()}, files=files)
        if response is not None:
            count(messages=1, files=1 if files else 0)

    @task(6)
    def read(self):
        page = self.client.get("/portal/tickets", name="/portal/tickets")
        numbers = PORTAL_TICKET.findall(page.text) or self.tickets
        if numbers:
            ticket = self.client.get(f"/portal/tickets/{random.choice(numbers)}",
                                     name="/portal/tickets/[n]")
            files = FILE_LINK.findall(ticket.text)
            if files and random.random() < 0.5:
                self.client.get(f"/files/{random.choice(files)}", name="/files/[id]")
                count(downloads=1)


class Agent(SignedIn):
    weight = 3
    wait_time = between(2, 5)
    accounts = itertools.cycle(USERS["agents"])
    _slots = itertools.count()

    def on_start(self):
        super().on_start()
        # This locust user's own share of the tickets (see the module docstring): unique
        # per user, even when two users sign in with the same agent account.
        self.share = next(Agent._slots)
        assert self.share < SHARES, "more agent users than shares"
        self.mine: list[str] = []

    def my_share(self, number: str) -> bool:
        digits = NUMBER_DIGITS.search(number)
        return bool(digits) and int(digits.group(1)) % SHARES == self.share

    @task(4)
    def queue(self):
        self.client.get("/agent/queue", name="/agent/queue")

    @task(2)
    def search(self):
        self.client.get(f"/agent/queue?q={random.choice(WORDS)}&filtered=1",
                        name="/agent/queue?q=[word]")

    @task(3)
    def take(self):
        page = self.client.get("/agent/queue?unassigned=y&filtered=1&sort=created",
                               name="/agent/queue?unassigned")
        numbers = [n for n in dict.fromkeys(AGENT_TICKET.findall(page.text))
                   if self.my_share(n)]
        if not numbers:
            return
        number = numbers[0]
        response = self.post_form(
            f"/agent/tickets/{number}", "/agent/tickets/[n]",
            f"/agent/tickets/{number}/take", "/agent/tickets/[n]/take", {})
        if response is not None:
            self.mine.append(number)
            count(takes=1)

    @task(4)
    def reply(self):
        if not self.mine:
            return
        number = random.choice(self.mine)
        response = self.post_form(
            f"/agent/tickets/{number}", "/agent/tickets/[n]",
            f"/agent/tickets/{number}/reply", "/agent/tickets/[n]/reply",
            {"body": sentence()})
        if response is not None:
            count(messages=1)

    @task(2)
    def note(self):
        if not self.mine:
            return
        number = random.choice(self.mine)
        response = self.post_form(
            f"/agent/tickets/{number}", "/agent/tickets/[n]",
            f"/agent/tickets/{number}/reply", "/agent/tickets/[n]/reply [note]",
            {"body": "Note: " + sentence(), "internal": "y"})
        if response is not None:
            count(messages=1)

    @task(2)
    def status(self):
        if not self.mine:
            return
        number = random.choice(self.mine)
        response = self.post_form(
            f"/agent/tickets/{number}", "/agent/tickets/[n]",
            f"/agent/tickets/{number}/status", "/agent/tickets/[n]/status",
            {"status": random.choice(SAFE_STATUSES)})
        if response is not None:
            count(status_changes=1)


class Admin(SignedIn):
    weight = 1
    fixed_count = 1
    wait_time = between(5, 10)
    accounts = itertools.cycle(USERS["admins"])

    @task(3)
    def dashboard(self):
        self.client.get("/admin/", name="/admin/")

    @task(1)
    def export(self):
        # Today's tickets (what the load made plus the seeded ones of today), streamed.
        with self.client.get(f"/agent/queue.csv?created_from={USERS['today']}&filtered=1",
                             name="/agent/queue.csv", stream=True) as response:
            for _chunk in response.iter_content(64 * 1024):
                pass
