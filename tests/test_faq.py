"""The public FAQ: grouped by category, filtered, searched, and suggested while a customer
types a new ticket's subject."""
import re

from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import Category, FaqEntry
from helpdesk.services.catalog import faq


def category(name: str) -> Category:
    return db.session.scalar(select(Category).filter_by(name=name))


def add_entry(question, answer="An answer.", *, category_name=None, published=True):
    entry = FaqEntry(question=question, answer=answer, published=published,
                     category=category(category_name) if category_name else None)
    db.session.add(entry)
    db.session.commit()
    return entry


def questions_on(html: str) -> list[str]:
    return re.findall(r"<summary>(.*?)</summary>", html)


def test_anyone_can_read_the_faq_grouped_by_category(client, app):
    add_entry("Do you ship abroad?", "Yes, to the EU.")
    add_entry("Draft: not ready", category_name="Billing", published=False)
    response = client.get("/faq")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    headings = re.findall(r'<h2 id="faq-group-\d+" class="section-title">(.*?)</h2>', html)
    # the categories' own order, entries without one last
    assert headings[:4] == ["Order", "Delivery — damaged", "Delivery — lost", "Delivery — late"]
    assert headings[-1] == "Other questions"
    billing = html[html.index(">Billing</h2>"):]
    billing = billing[:billing.index("</section>")]
    assert questions_on(billing) == ["When will I get my refund?",
                                     "Where can I find my invoice?"]
    assert "Do you ship abroad?" in html and "Yes, to the EU." in html
    assert "Draft: not ready" not in html


def test_the_faq_filters_by_category(client, app):
    billing = category("Billing")
    html = client.get(f"/faq?category={billing.id}").get_data(as_text=True)
    assert questions_on(html) == ["When will I get my refund?", "Where can I find my invoice?"]
    assert f'<option value="{billing.id}" selected>Billing</option>' in html
    assert client.get("/faq?category=not-a-number").status_code == 200


def test_the_faq_search_matches_every_word_in_question_or_answer(client, app):
    add_entry("Hidden refund rules", published=False)
    assert questions_on(client.get("/faq?q=refund").get_data(as_text=True)) == [
        "My parcel arrived damaged.", "When will I get my refund?"]  # answer, question
    assert questions_on(client.get("/faq?q=REFUND+payment").get_data(as_text=True)) == [
        "When will I get my refund?"]  # "payment" is in the answer
    html = client.get("/faq?q=refund+teleport").get_data(as_text=True)
    assert questions_on(html) == [] and "No questions match your search." in html
    assert questions_on(client.get("/faq?q=%25").get_data(as_text=True)) == []


def test_suggestions_are_an_html_fragment_of_matching_published_entries(client, app):
    add_entry("Damaged parcel draft", published=False)
    response = client.get("/faq/suggest?q=My parcel arrived damaged")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<!doctype" not in html.lower()
    assert questions_on(html)[0] == "My parcel arrived damaged."  # best match first
    assert "Damaged parcel draft" not in html


def test_no_suggestions_for_unmatched_or_empty_text(client, app):
    assert client.get("/faq/suggest?q=zzqx").get_data(as_text=True).strip() == ""
    assert client.get("/faq/suggest?q=").get_data(as_text=True).strip() == ""
    assert client.get("/faq/suggest?q=how is the my").get_data(as_text=True).strip() == ""
    assert client.get("/faq/suggest").status_code == 200


def test_keywords_drop_stop_words_short_words_and_repeats(app):
    assert faq.keywords("How do I get my REFUND, refund?? ok") == ["get", "refund"]
    assert faq.keywords("Follow-up to ORD-2291: lost") == ["ord", "lost"]


def test_suggestions_rank_question_matches_above_answer_matches(app):
    answer_only = add_entry("Something general", "We can talk about invoices here.")
    in_question = add_entry("Invoices for companies", "Ask us.")
    ranked = faq.suggestions("company invoices")
    assert ranked.index(in_question) < ranked.index(answer_only)


def test_agents_edit_the_faq_but_customers_cannot(app, client, agent, customer):
    from conftest import login

    from helpdesk.extensions import db
    from helpdesk.models import FaqEntry
    login(client, agent)
    assert "Edit the FAQ" in client.get("/faq").get_data(as_text=True)
    response = client.post("/admin/faq/new", data={
        "question": "Do you gift wrap?", "answer": "Yes, for 2 EUR.", "published": "y",
        "position": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert db.session.scalar(db.select(FaqEntry).filter_by(question="Do you gift wrap?"))
    assert client.get("/admin/categories").status_code == 403  # the rest stays admin-only
    other = app.test_client()
    login(other, customer)
    assert other.post("/admin/faq/new", data={"question": "x", "answer": "y"}
                      ).status_code == 403
