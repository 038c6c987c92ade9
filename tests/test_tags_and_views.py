"""Tags as filters, search terms, bulk actions and a console list (rename, merge);
saved views of the queue with live counts, sharing, order and a default."""
import re

import pytest
from conftest import login, make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Role, SavedView, Status, Team, TicketTag
from helpdesk.services.errors import Forbidden, InvalidInput
from helpdesk.services.queue import saved_views
from helpdesk.services.tickets import tags


def _tagged(customer, subject, *names, assignee=None):
    ticket = make_ticket(customer, subject=subject)
    ticket.tags = [TicketTag(name=n) for n in names]
    ticket.assignee = assignee
    if assignee is not None:
        ticket.status = Status.IN_PROGRESS
    db.session.commit()
    return ticket


def _subjects(html: str) -> set[str]:
    return set(re.findall(r'<a [^>]*href="/agent/tickets/[^"]+"[^>]*>([^<]+)</a>', html))


@pytest.fixture
def tagged(customer):
    return {"both": _tagged(customer, "Both tags", "refund", "carrier"),
            "refund": _tagged(customer, "Refund only", "refund"),
            "carrier": _tagged(customer, "Carrier only", "carrier"),
            "none": _tagged(customer, "No tags")}


def test_queue_filters_by_tags_any_or_all(app, client, agent, tagged):
    login(client, agent)
    any_ = client.get("/agent/queue?tags=refund,carrier&tags_mode=any").get_data(as_text=True)
    assert _subjects(any_) >= {"Both tags", "Refund only", "Carrier only"}
    assert "No tags" not in _subjects(any_)
    all_ = client.get("/agent/queue?tags=refund,carrier&tags_mode=all").get_data(as_text=True)
    assert _subjects(all_) & {"Both tags", "Refund only", "Carrier only"} == {"Both tags"}


def test_tag_term_in_search(app, client, agent, tagged):
    login(client, agent)
    html = client.get("/agent/queue?q=tag:refund").get_data(as_text=True)
    assert _subjects(html) & {"Both tags", "Refund only", "Carrier only", "No tags"} == {
        "Both tags", "Refund only"}
    html = client.get("/agent/queue?q=tag:refund+only").get_data(as_text=True)
    assert "Refund only" in _subjects(html) and "Both tags" not in _subjects(html)


def test_bulk_add_and_remove_a_tag(app, client, agent, customer):
    mine = [_tagged(customer, f"Mine {i}", assignee=agent) for i in range(3)]
    theirs = _tagged(customer, "Theirs", assignee=make_user(Role.AGENT))
    login(client, agent)
    client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(t.id) for t in [*mine, theirs]], "bulk_action": "tag:add",
        "bulk_tag": "Urgent-Fix", "next": "/agent/queue"})
    for t in mine:
        db.session.refresh(t)
        assert t.tag_names == ["urgent-fix"]
    db.session.refresh(theirs)
    assert theirs.tag_names == []  # refused: not theirs to change
    client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(mine[0].id)], "bulk_action": "tag:remove", "bulk_tag": "urgent-fix",
        "next": "/agent/queue"})
    db.session.refresh(mine[0])
    assert mine[0].tag_names == []


def test_bulk_tag_needs_a_name(app, client, agent, customer):
    ticket = _tagged(customer, "Mine", assignee=agent)
    login(client, agent)
    response = client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(ticket.id)], "bulk_action": "tag:add", "bulk_tag": "",
        "next": "/agent/queue"})
    assert response.status_code == 400
    assert 'id="bulk_tag-error"' in response.get_data(as_text=True)


def test_tag_suggestions_for_autocomplete(app, client, agent, tagged):
    login(client, agent)
    assert client.get("/agent/tags.json?q=re").get_json() == ["refund"]
    html = client.get(f"/agent/tickets/{tagged['none'].number}").get_data(as_text=True)
    assert '<datalist id="tag-suggestions">' in html and 'value="carrier"' in html


def test_console_lists_tags_with_counts_and_renames_and_merges(app, client, admin, tagged):
    login(client, admin)
    html = client.get("/admin/tags").get_data(as_text=True)
    assert re.search(r"refund</a></th>\s*<td[^>]*>2</td>", html)
    response = client.post("/admin/tags/rename", data={"tag": "carrier", "new_name": "Shipping"})
    assert response.status_code == 302
    assert tags.tag_counts() == [("refund", 2), ("shipping", 2)]
    # merging: "both" has refund and shipping → one tag left on it
    client.post("/admin/tags/rename", data={"tag": "shipping", "new_name": "refund"})
    assert tags.tag_counts() == [("refund", 3)]
    actions = list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.action.in_(["tag_renamed", "tag_merged"])).order_by(AuditEvent.id)))
    assert actions == ["tag_renamed", "tag_merged"]


def test_renaming_tags_is_for_admins(app, client, agent, tagged):
    with pytest.raises(Forbidden):
        tags.rename_tag(agent, "refund", "money")
    login(client, agent)
    assert client.post("/admin/tags/rename", data={"tag": "refund",
                                                   "new_name": "x"}).status_code == 403


def test_rename_refusals_show_next_to_the_field(app, client, admin, tagged):
    login(client, admin)
    response = client.post("/admin/tags/rename", data={"tag": "nosuch", "new_name": "x"})
    assert response.status_code == 400
    response = client.post("/admin/tags/rename", data={"tag": "refund", "new_name": "refund"})
    assert response.status_code == 400 and "different name" in response.get_data(as_text=True)


# --- saved views ----------------------------------------------------------------------------

def test_save_a_view_and_see_it_with_its_count(app, client, agent, tagged):
    login(client, agent)
    response = client.post("/agent/views", data={
        "view_name": "Refunds", "share": "personal",
        "query": "filtered=1&open_only=y&tags=refund&page=3&evil=1"})
    assert response.status_code == 302
    view = db.session.scalar(db.select(SavedView))
    assert view.owner_id == agent.id and "page" not in view.query and "evil" not in view.query
    html = client.get("/agent/queue").get_data(as_text=True)
    assert re.search(r'>Refunds</a> <span class="count"[^>]*>2</span>', html)


def test_save_view_button_and_label(app, client, agent):
    login(client, agent)
    html = client.get("/agent/queue").get_data(as_text=True)
    assert re.search(r'<label for="view_name">View name', html) and "Save view" in html


def test_only_admins_share_views(app, client, agent, admin):
    with pytest.raises(Forbidden):
        saved_views.save_view(agent, name="All", query="", share="all")
    login(client, agent)
    client.post("/agent/views", data={"view_name": "All", "share": "all", "query": ""})
    assert db.session.scalar(db.select(SavedView)) is None
    shared = saved_views.save_view(admin, name="Everyone", query="priority=high", share="all")
    assert shared.owner_id is None
    assert saved_views.views_for(agent) == [shared]


def test_team_views_reach_team_members_only(app, agent, other_agent, admin):
    team = Team(name="Views team")
    team.members.append(agent)
    db.session.add(team)
    db.session.commit()
    view = saved_views.save_view(admin, name="Team", query="", share=f"team:{team.id}")
    assert view in saved_views.views_for(agent)
    assert view not in saved_views.views_for(other_agent)


def test_personal_views_are_private_and_managed_by_their_owner(app, client, agent, other_agent):
    view = saved_views.save_view(agent, name="Mine", query="mine=y")
    assert saved_views.views_for(other_agent) == []
    login(client, other_agent)
    assert client.post(f"/agent/views/{view.id}/delete").status_code == 404
    assert client.post(f"/agent/views/{view.id}/default").status_code == 404


def test_agents_cannot_change_shared_views(app, client, agent, admin):
    view = saved_views.save_view(admin, name="Shared", query="", share="all")
    login(client, agent)
    client.post(f"/agent/views/{view.id}/delete")
    assert db.session.get(SavedView, view.id) is not None


def test_views_reorder_up_and_down(app, client, agent):
    a = saved_views.save_view(agent, name="A", query="")
    b = saved_views.save_view(agent, name="B", query="")
    c = saved_views.save_view(agent, name="C", query="")
    login(client, agent)
    client.post(f"/agent/views/{c.id}/move", data={"direction": "up"})
    assert [v.name for v in saved_views.views_for(agent)] == ["A", "C", "B"]
    client.post(f"/agent/views/{a.id}/move", data={"direction": "down"})
    assert [v.name for v in saved_views.views_for(agent)] == ["C", "A", "B"]
    assert b.position == 3


def test_the_default_view_opens_the_queue(app, client, agent, tagged):
    view = saved_views.save_view(agent, name="Refunds", query="filtered=1&tags=refund")
    login(client, agent)
    client.post(f"/agent/views/{view.id}/default")
    response = client.get("/agent/queue")
    assert response.status_code == 302 and "tags=refund" in response.location
    client.post("/agent/views/default/clear")
    assert client.get("/agent/queue").status_code == 200


def test_view_name_is_required(app, agent):
    with pytest.raises(InvalidInput):
        saved_views.save_view(agent, name="  ", query="")


def test_queue_statements_stay_constant_with_tag_and_field_filters(app, client, agent, customer):
    """The queue page: the same number of statements for 2 and for 12 matching tickets."""
    from sqlalchemy import event

    from helpdesk.services.fields import definitions
    admin = make_user(Role.ADMIN)
    definitions.save_field(admin, None, key="plan", label="Plan", kind="choice",
                           required=False, customer_visible=False, options="gold\nsilver")
    login(client, agent)

    def statements(url):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)
    url = "/agent/queue?tags=refund&cf_plan=gold&filtered=1"
    for i in range(2):
        _tagged(customer, f"Few {i}", "refund")
    few = statements(url)
    for i in range(10):
        _tagged(customer, f"More {i}", "refund")
    assert statements(url) == few


def test_a_queue_url_too_long_to_save_still_shows_the_queue(app, client, agent):
    login(client, agent)
    assert client.get("/agent/queue?q=" + "x" * 190 + "&tags=" + "a," * 1200).status_code in (
        200, 400)
    response = client.post("/agent/views", data={"view_name": "Long",
                                                 "query": "q=" + "x" * 3000})
    assert response.status_code == 303
    assert db.session.scalar(db.select(SavedView)) is None
