"""The journeys of issue 7, in a real browser against a real server.

Everything is done the way a person does it: by the visible labels, buttons and links named
in shared/docs/contract.md. The only typed URLs are each person's first page ("/") and,
in journey 5, a pasted ticket address. The steps build on each other (the ticket of
journey 1 is worked in 2, read in 3, counted in 4 and probed in 5); a step whose
prerequisite failed is skipped, not failed again.
"""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from e2e_support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MAX_FILE_BYTES,
    TICKET_NUMBER,
    Actors,
    LiveServer,
    button,
    describe,
    error_next_to,
    field,
    form_with,
    link,
    snap,
    words,
)
from playwright.sync_api import expect

PASSWORD = "e2e-password-123"  # noqa: S105 (throwaway accounts)

CUSTOMER = SimpleNamespace(name="Carla Customer", email="carla@e2e.example")
AGENT = SimpleNamespace(name="Alex Agent", email="alex.agent@e2e.example",
                        phone="+44 20 7946 0000")
OTHER = SimpleNamespace(name="Otto Other", email="otto@e2e.example")
TYPIST = SimpleNamespace(name="Tina Typo", email="tina@e2e.example")

SUBJECT = "Blender jug arrived cracked"
DESCRIPTION = "The glass jug of my new blender was cracked when I opened the box."
ORDER_REFERENCE = "ORD-7731-E2E"
NOTE = "Internal: courier damage claim CX-5521 filed. Do not promise a refund date."
REPLY = "Sorry about the jug! A replacement is on its way; the return label is attached."
COMMENT = "Quick and friendly help, thank you!"

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
       b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
       b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".encode()


def upload(name: str, data: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


PHOTO = upload("cracked-jug.png", PNG, "image/png")
RECEIPT = upload("receipt-7731.pdf", pdf("receipt for order 7731"), "application/pdf")
NOTE_FILE = upload("courier-claim-CX5521.txt", b"Courier claim CX-5521: internal only.\n",
                   "text/plain")
LABEL_FILE = upload("return-label-7731.pdf", pdf("return label 7731 " + "x" * 2000),
                    "application/pdf")
OVERSIZE = upload("big-log.txt", b"log line 0123456789 abcdefghij\n" * 10_000, "text/plain")
assert len(OVERSIZE["buffer"]) > MAX_FILE_BYTES


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("journeys"), name="journeys-server",
                      env_overrides={"HELPDESK_MAX_FILE_BYTES": str(MAX_FILE_BYTES)}).start()
    globals()["SERVER_FOR_LOGS"] = live  # conftest shows its log when a page answers 5xx
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def actors(browser, server):
    people = Actors(browser, server.url)
    try:
        yield people
    finally:
        people.close()


@pytest.fixture(scope="module")
def journey():
    """What the steps hand on to each other, and which of them got through."""
    return SimpleNamespace(done=set(), number=None, category=None)


def needs(journey, *steps: str) -> None:
    missing = [s for s in steps if s not in journey.done]
    if missing:
        pytest.skip(f"needs the earlier step(s) {', '.join(missing)}, which did not pass")


# --- what people do ----------------------------------------------------------------------------

def sign_up(page, person) -> None:
    page.goto("/")
    link(page, "Create account").first.click()
    field(page, "Name").fill(person.name)
    field(page, "Email").fill(person.email)
    field(page, "Password").fill(PASSWORD)
    button(page, "Create account").click()
    expect(button(page, "Sign out")).to_be_visible()


def sign_in(page, email: str, password: str) -> None:
    link(page, "Sign in").first.click()
    field(page, "Email").fill(email)
    field(page, "Password").fill(password)
    button(page, "Sign in").click()
    expect(button(page, "Sign out")).to_be_visible()


def choose(select, pattern: str) -> str:
    """Pick the option whose visible text matches `pattern`; returns that text."""
    options = select.evaluate("s => Array.from(s.options).map(o => [o.value, o.label])")
    for value, label in options:
        if re.search(pattern, label, re.I):
            select.select_option(value=value)
            return label
    raise AssertionError(f"no option matching /{pattern}/ in {[o[1] for o in options]}")


def selected_text(select):
    return select.locator("option:checked")


def ticket_link(page, number: str):
    return page.get_by_role("link", name=re.compile(rf"{re.escape(number)}|{re.escape(SUBJECT)}"))


def main_text(page) -> str:
    return page.get_by_role("main").inner_text()


# --- 1. a customer signs up and opens a ticket -----------------------------------------------

def test_1_customer_signs_up_and_opens_a_ticket_with_two_files(actors, journey):
    page = actors.new("customer").page
    sign_up(page, CUSTOMER)
    expect(page.get_by_role("heading", name=words("My tickets"))).to_be_visible()

    link(page, "New ticket").first.click()
    field(page, "Subject").fill(SUBJECT)
    field(page, "Description").fill(DESCRIPTION)
    category = field(page, "Category")
    labels = category.evaluate("s => Array.from(s.options).map(o => o.label)")
    if any(re.search("damaged", label, re.I) for label in labels):
        journey.category = choose(category, "damaged")
    else:  # a fresh install without categories: see the report of issue 7
        journey.category = None
    field(page, "Order reference").fill(ORDER_REFERENCE)
    field(page, "Attachments").set_input_files([PHOTO, RECEIPT])
    button(page, "Submit").click()

    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    found = TICKET_NUMBER.search(main_text(page))
    assert found, f"no ticket number on the new ticket's page:\n{main_text(page)[:500]}"
    journey.number = found.group(0)
    # contract: ticket pages show the number, status and priority as text
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"\b(new|open)\b", re.I))
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"\bmedium\b", re.I))
    for attached in (PHOTO, RECEIPT):
        expect(page.get_by_role("link", name=attached["name"])).to_be_visible()
    snap(page, "1-customer-ticket-created")

    link(page, "My tickets").first.click()
    expect(page.get_by_role("heading", name=words("My tickets"))).to_be_visible()
    expect(ticket_link(page, journey.number).first).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(journey.number)
    expect(page.get_by_role("main")).to_contain_text(SUBJECT)
    journey.done.add("ticket")


# --- 2. an agent applies, is approved, and works the ticket ----------------------------------

def test_2a_someone_applies_as_an_agent(actors, journey):
    page = actors.new("agent").page
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"apply.*agent|agent.*(apply|application)",
                                             re.I)).first.click()
    field(page, "Name").fill(AGENT.name)
    field(page, "Email").fill(AGENT.email)
    field(page, "Contact number").fill(AGENT.phone)
    field(page, "Password").fill(PASSWORD)
    button(page, "Submit").click()
    expect(field(page, "Contact number")).to_have_count(0)
    # Pending: no way into the queue yet.
    expect(link(page, "Queue")).to_have_count(0)
    journey.done.add("applied")


def test_2b_admin_approves_the_agent_in_the_console(actors, journey):
    needs(journey, "applied")
    page = actors.new("admin").page
    page.goto("/")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    link(page, "Agents").first.click()
    pending = (page.locator("tr, li, article, section, div, form")
               .filter(has_text=AGENT.email).filter(has=button(page, "Approve")))
    expect(pending.last).to_be_visible()
    button(pending.last, "Approve").click()
    expect(pending).to_have_count(0)
    expect(page.get_by_text(AGENT.email).first).to_be_visible()
    journey.done.add("approved")


def test_2c_agent_filters_the_queue_takes_the_ticket_notes_replies_resolves(actors, journey):
    needs(journey, "ticket", "approved")
    page = actors["agent"].page
    # The session from the application is still there; sign in again as a person would.
    button(page, "Sign out").click()
    sign_in(page, AGENT.email, PASSWORD)
    link(page, "Queue").first.click()

    search = field(page, "Search")
    search.fill("no such words anywhere")
    with page.expect_navigation():
        search.press("Enter")
    expect(search).to_have_value("no such words anywhere")
    expect(ticket_link(page, journey.number)).to_have_count(0)
    search = field(page, "Search")
    search.fill("jug arrived cracked")
    with page.expect_navigation():
        search.press("Enter")
    expect(field(page, "Search")).to_have_value("jug arrived cracked")
    if journey.category:
        choose(field(page, "Category"), re.escape(journey.category))
        with page.expect_navigation():
            field(page, "Search").press("Enter")
        expect(selected_text(field(page, "Category"))).to_have_text(journey.category)
    expect(ticket_link(page, journey.number).first).to_be_visible()
    snap(page, "2c-queue-filtered")

    ticket_link(page, journey.number).first.click()
    expect(page.get_by_role("main")).to_contain_text(journey.number)
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"\bmedium\b", re.I))
    button(page, "Take").click()
    expect(button(page, "Take")).to_have_count(0)
    expect(selected_text(field(page, "Status"))).to_have_text(re.compile("in progress", re.I))

    reply_form = form_with(page, "Message")
    field(reply_form, "Message").fill(NOTE)
    field(reply_form, "Internal note").check()
    field(reply_form, "Attachments").set_input_files([NOTE_FILE])
    button(reply_form, "Add note").click()  # issue 17: note mode says what it does
    expect(page.get_by_text(NOTE)).to_be_visible()
    expect(page.get_by_role("link", name=NOTE_FILE["name"])).to_be_visible()

    reply_form = form_with(page, "Message")
    field(reply_form, "Message").fill(REPLY)
    field(reply_form, "Reply").check()
    field(reply_form, "Attachments").set_input_files([LABEL_FILE])
    button(reply_form, "Send").click()
    expect(page.get_by_text(REPLY)).to_be_visible()
    expect(page.get_by_role("link", name=LABEL_FILE["name"])).to_be_visible()

    status_form = form_with(page, "Status")
    choose(field(status_form, "Status"), r"^\s*resolved\s*$")
    buttons = status_form.get_by_role("button")
    save = buttons.filter(has_text=re.compile(r"save|update|apply|change|set|submit", re.I))
    (save if save.count() else buttons).first.click()
    expect(selected_text(field(page, "Status"))).to_have_text(re.compile("resolved", re.I))
    expect(page.get_by_role("main")).to_contain_text(re.compile("resolved", re.I))
    snap(page, "2c-workspace-resolved")
    journey.done.add("worked")


# --- 3. the customer reads the answer, downloads the file, rates -----------------------------

def test_3_customer_sees_the_reply_and_its_file_not_the_note_and_rates(actors, journey, tmp_path):
    needs(journey, "ticket", "worked")
    page = actors["customer"].page
    link(page, "My tickets").first.click()
    ticket_link(page, journey.number).first.click()
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(re.compile("resolved", re.I))

    expect(page.get_by_text(REPLY)).to_be_visible()
    expect(page.get_by_text(NOTE)).to_have_count(0)
    expect(page.get_by_role("link", name=NOTE_FILE["name"])).to_have_count(0)
    html = page.content()
    assert "CX-5521" not in html, "the internal note (or its file) is in the customer's HTML"

    with page.expect_download() as download_info:
        page.get_by_role("link", name=LABEL_FILE["name"]).click()
    download = download_info.value
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert download.suggested_filename == LABEL_FILE["name"]
    assert Path(saved).read_bytes() == LABEL_FILE["buffer"]

    feedback = page.locator("form").filter(has=page.get_by_role("radiogroup", name="Rating"))
    feedback.get_by_role("radio", name="5").check()  # a radio group named 1 to 5
    field(feedback, "Comment").fill(COMMENT)
    button(feedback, "Submit").click()
    expect(field(page, "Comment")).to_have_value(COMMENT)
    expect(page.get_by_text(re.compile(r"rated this ticket\s+5 out of 5"))).to_be_visible()
    snap(page, "3-customer-ticket-rated")
    journey.done.add("rated")


# --- 4. the console counts it and the audit log tells it ----------------------------------------

def test_4a_dashboard_shows_the_rating_and_the_resolved_count(actors, journey):
    needs(journey, "rated")
    page = actors["admin"].page
    page.get_by_role("link", name=re.compile(r"^\s*(console|dashboard)\s*$", re.I)).first.click()
    main = page.get_by_role("main")
    # The CSAT tile, e.g. "Customer satisfaction (1 rating) 5.00 / 5", in either order.
    expect(main).to_contain_text(re.compile(r"satisfaction", re.I))
    text = " ".join(main_text(page).split())
    score = r"\b5(\.0+)?\s*(/|out of)\s*5\b"
    assert re.search(rf"satisfaction.{{0,60}}?{score}|{score}.{{0,60}}?satisfaction", text,
                     re.I), f"no CSAT of 5 / 5 on the dashboard:\n{text[:1500]}"
    assert re.search(r"\b1 rating\b", text, re.I), f"no '1 rating' on the dashboard:\n{text[:1500]}"
    # the status totals: one resolved ticket
    by_status = page.get_by_role("figure").filter(has_text=re.compile(r"by status", re.I))
    expect(by_status.get_by_role("row", name=re.compile(r"^\s*resolved\s+1\s*$", re.I))
           ).to_have_count(1)
    snap(page, "4a-dashboard")


def test_4b_audit_log_lists_the_steps(actors, journey):
    needs(journey, "rated")
    page = actors["admin"].page
    page.get_by_role("link", name=re.compile(r"audit", re.I)).first.click()
    main = page.get_by_role("main")
    expect(main).to_contain_text(journey.number)
    snap(page, "4b-audit-log")
    rows = main.get_by_role("row")
    if rows.count() == 0:  # a list rather than a table
        rows = main.get_by_role("listitem")
    lines = [" ".join(text.split()) for text in rows.all_inner_texts()]
    on_ticket = [line for line in lines if journey.number in line]
    about_agent = [line for line in lines if AGENT.name in line]
    steps = {  # (the rows to look in, what the row says)
        "agent applied": (about_agent, r"appl(ied|ication)"),
        "agent approved": (about_agent, r"approv"),
        "ticket created": (on_ticket, r"creat|opened"),
        "files attached": (on_ticket, r"attach|file"),
        "taken": (on_ticket, r"\btak(en|e)\b|took"),
        "internal note": (on_ticket, r"internal.?note"),
        "public reply": (on_ticket, r"repl"),
        "status → resolved": (on_ticket, r"status.*resolved"),
        "feedback": (on_ticket, r"feedback|rat(ed|ing)"),
    }
    missing = [step for step, (where, pattern) in steps.items()
               if not any(re.search(pattern, line, re.I) for line in where)]
    assert not missing, ("the audit log does not show: " + ", ".join(missing)
                         + "\n---\n" + "\n".join(lines[:40]))


# --- 5. another customer may not see the ticket -------------------------------------------------

def test_5_another_customer_pasting_the_ticket_url_gets_not_found(actors, journey, server):
    needs(journey, "ticket")
    page = actors.new("other customer").page
    sign_up(page, OTHER)
    # The one allowed typed URL: the address copied from the first customer's browser.
    response = page.goto(f"/portal/tickets/{journey.number}")
    assert response.status == 404
    expect(page.get_by_role("heading", name=re.compile(r"not found", re.I))).to_be_visible()
    snap(page, "5-other-customer-not-found")
    expect(page.get_by_role("main")).not_to_contain_text(SUBJECT)
    expect(page.get_by_role("main")).not_to_contain_text(DESCRIPTION)


# --- 6. bad input: messages next to the fields, what was typed is kept -----------------------

def submit_and_get_status(page, form) -> int:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button(form, "Submit").click()
    page.wait_for_load_state()
    return answer.value.status


def test_6a_empty_subject_is_shown_next_to_the_field(actors, journey):
    page = actors.new("typist").page
    sign_up(page, TYPIST)
    link(page, "New ticket").first.click()
    before = describe(field(page, "Subject"))
    field(page, "Description").fill(DESCRIPTION)
    field(page, "Order reference").fill(ORDER_REFERENCE)
    status = submit_and_get_status(page, form_with(page, "Subject"))
    assert status in (400, 422)

    message = error_next_to(field(page, "Subject"), re.compile(
        r"subject|required|empty|missing|enter|give|fill", re.I), before=before)
    print(f"empty subject -> {message!r}")
    snap(page, "6a-empty-subject")
    expect(field(page, "Subject")).to_have_value("")
    expect(field(page, "Description")).to_have_value(DESCRIPTION)
    expect(field(page, "Order reference")).to_have_value(ORDER_REFERENCE)


def test_6b_oversize_file_is_shown_next_to_the_field(actors, journey):
    if "typist" not in actors:
        pytest.skip("needs the signed-up customer of test_6a")
    page = actors["typist"].page
    link(page, "New ticket").first.click()
    before = describe(field(page, "Attachments"))
    field(page, "Subject").fill("Log file of the failed payment")
    field(page, "Description").fill(DESCRIPTION)
    field(page, "Attachments").set_input_files([OVERSIZE])
    status = submit_and_get_status(page, form_with(page, "Subject"))
    assert status in (400, 422)

    message = error_next_to(field(page, "Attachments"), re.compile(
        r"larger|too (big|large)|limit|size|exceed", re.I), before=before)
    print(f"oversize file -> {message!r}")
    snap(page, "6b-oversize-file")
    expect(field(page, "Subject")).to_have_value("Log file of the failed payment")
    expect(field(page, "Description")).to_have_value(DESCRIPTION)
    link(page, "My tickets").first.click()
    expect(page.get_by_role("main")).not_to_contain_text("Log file of the failed payment")
