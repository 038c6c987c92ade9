"""The API keeps its own description: schemathesis generates requests from
/api/v1/openapi.json for every operation, as an admin and as a customer, and checks each
answer — never a 5xx, every status code, content type, header and body as documented.

Derandomized (the same examples every run) and bounded: a few examples per operation,
valid and invalid, once with generated path parameters (mostly unknown numbers and ids)
and once with real ones, so the calls reach the services and their refusals.
"""
import pytest
import schemathesis
from conftest import PNG_BYTES, make_ticket, make_user, upload
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Attachment, Role
from helpdesk.services.people import tokens
from helpdesk.services.tickets import assignment, conversation

EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


def _real_path_parameters(customer, agent) -> dict:
    """A fresh ticket with a file, taken, with a reply: real values for every path."""
    stream, name = upload("photo.png", PNG_BYTES)
    ticket = make_ticket(customer, files=[FileStorage(stream, filename=name)])
    assignment.take_ticket(ticket, agent)
    reply = conversation.post_reply(ticket, agent, "A reply")
    pending = make_user(Role.AGENT, agent_status=AgentStatus.PENDING)
    file_id = db.session.scalar(db.select(Attachment.id).where(
        Attachment.ticket_id == ticket.id))
    return {"number": ticket.number, "message_id": reply.id, "attachment_id": file_id,
            "user_id": pending.id, "related_number": ticket.number}


def _exercise(operation, token: str, mode: GenerationMode, path_parameters=None):
    wanted = {k: v for k, v in (path_parameters or {}).items()
              if k in {p.name for p in operation.path_parameters}}
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode,
                                      path_parameters=wanted or None))
    def run(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)
        db.session.rollback()  # the next example reads what the last one committed

    run()


# Schemathesis reads a download's body without closing the file behind it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_every_operation_answers_as_its_description_says(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    admin = make_user(Role.ADMIN)
    customer = make_user(Role.CUSTOMER)
    agent = make_user(Role.AGENT)
    callers = {"admin": tokens.access_token_for(admin),
               "customer": tokens.access_token_for(customer)}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 30  # 26 of the contract + merge and links (issue 15)
    for operation in operations:
        for caller, token in callers.items():
            real = _real_path_parameters(customer, agent)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _exercise(operation, token, mode)
                    _exercise(operation, token, mode, real)
                except Exception as error:
                    error.add_note(f"{operation.label} as {caller}, {mode.value} data")
                    raise
