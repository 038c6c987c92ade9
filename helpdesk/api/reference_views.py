"""Categories, the FAQ, statistics, and the admins' decisions on agent applications."""
from .. import permissions
from ..models import AgentStatus, Priority, Status
from ..services.catalog import admin as catalog
from ..services.catalog import faq as faq_service
from ..services.people import decisions
from ..services.queue.filters import side_counts
from ..services.reporting import stats as reporting
from . import ROW_ID, bp, errors, present
from .access import PUBLIC, access, caller_user
from .schemas import (
    AgentListArgsSchema,
    AgentListSchema,
    AgentSchema,
    CategoryListSchema,
    FaqArgsSchema,
    FaqListSchema,
    StatsSchema,
)


@bp.route("/categories", tags=["Reference"], methods=["GET"])
@access(permissions.can_use_api)
@bp.response(200, CategoryListSchema)
@errors(401, 403, 429)
def categories():
    """Active categories; a ticket's `category` may be given by id or by name"""
    return {"items": [{"id": c.id, "name": c.name, "description": c.description}
                      for c in catalog.categories() if c.active]}


@bp.route("/faq", tags=["Reference"], methods=["GET"])
@access(PUBLIC)
@bp.arguments(FaqArgsSchema, location="query")
@bp.response(200, FaqListSchema)
@errors(422, 429)
@bp.doc(security=[])
def faq(args):
    """The published FAQ, grouped by category order; `q` matches every word"""
    groups = faq_service.published_groups(category_id=args.get("category"), q=args.get("q"))
    return {"items": [{"id": e.id, "question": e.question, "answer": e.answer,
                       "category": present.ref(e.category)}
                      for group in groups for e in group.entries]}


@bp.route("/stats", tags=["Statistics"], methods=["GET"])
@access(permissions.is_staff)
@bp.response(200, StatsSchema)
@errors(401, 403, 429)
def stats():
    """Counts by status, priority and category; open, overdue, unassigned and yours;
    average first response and resolution (hours); satisfaction (CSAT)"""
    by_status = reporting.counts_by("status")
    by_priority = reporting.counts_by("priority")
    side = side_counts(caller_user())
    first_response, resolution = reporting.average_durations()
    csat_average, csat_count, _distribution = reporting.csat_summary()
    return {
        "total": sum(by_status.values()),
        "by_status": {s.value: by_status.get(s, 0) for s in Status},
        "by_priority": {p.value: by_priority.get(p, 0) for p in Priority},
        "by_category": [{"name": n, "count": c} for n, c in reporting.category_counts()],
        "open": side["open"], "overdue": side["overdue"],
        "unassigned": side["unassigned"], "mine": side["mine"],
        "avg_first_response_hours": first_response, "avg_resolution_hours": resolution,
        "csat_average": csat_average, "csat_count": csat_count,
    }


@bp.route("/agents", tags=["People"], methods=["GET"])
@access(permissions.can_manage_people)
@bp.arguments(AgentListArgsSchema, location="query")
@bp.response(200, AgentListSchema)
@errors(401, 403, 422, 429)
def agents(args):
    """Agent accounts in one state, oldest first (admins); `state` defaults to pending"""
    return {"items": [present.agent(u)
                      for u in decisions.agents_in_state(AgentStatus(args["state"]))]}


def _decide(user_id: int, decide):
    person = decisions.get_user(user_id)
    decide(caller_user(), person)
    return present.agent(person)


@bp.route(f"/agents/<{ROW_ID}:user_id>/approve", tags=["People"], methods=["POST"])
@access(permissions.can_manage_people, body=None)
@bp.response(200, AgentSchema)
@errors(401, 403, 404, 409, 422, 429)
def approve_agent(user_id):
    """Approve an application (or an earlier rejected one) (admins)"""
    return _decide(user_id, decisions.approve_agent)


@bp.route(f"/agents/<{ROW_ID}:user_id>/reject", tags=["People"], methods=["POST"])
@access(permissions.can_manage_people, body=None)
@bp.response(200, AgentSchema)
@errors(401, 403, 404, 409, 422, 429)
def reject_agent(user_id):
    """Reject a pending application (admins)"""
    return _decide(user_id, decisions.reject_agent)

