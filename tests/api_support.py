"""Helpers for the JSON API tests: a client that sends bearer tokens, and tokens."""
import io

from helpdesk.services.people import tokens

API = "/api/v1"


def access_token(user) -> str:
    return tokens.access_token_for(user)


class ApiClient:
    """app.test_client() speaking JSON with `Authorization: Bearer`; `as_` is a user
    (an access token is made for them), a token string, or None (anonymous)."""

    def __init__(self, app):
        self.client = app.test_client()

    def call(self, method: str, path: str, *, as_=None, json=None, data=None,
             headers=None, **kwargs):
        headers = dict(headers or {})
        if as_ is not None:
            token = as_ if isinstance(as_, str) else access_token(as_)
            headers["Authorization"] = f"Bearer {token}"
        url = path if path.startswith("/") and path.startswith(API) else API + path
        return self.client.open(url, method=method, json=json, data=data, headers=headers,
                                **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    def upload(self, path, files, *, as_, **fields):
        """POST multipart with repeated `file` parts: files are (name, bytes)."""
        data = {"file": [(io.BytesIO(content), name) for name, content in files], **fields}
        return self.call("POST", path, as_=as_, data=data, content_type="multipart/form-data")


def problem(response) -> dict:
    """The problem document of an error response (and it is one)."""
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == response.status_code and body["title"] and body["type"]
    return body
