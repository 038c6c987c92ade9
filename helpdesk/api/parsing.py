"""flask-smorest's Blueprint with our request parsing: unknown query parameters are
refused like unknown body fields (a misspelt filter must not silently list everything),
and one more location, "multipart": the form fields and the files of one
multipart/form-data body read through one schema (smorest documents "form" and "files"
separately, which OpenAPI 3 cannot express)."""
import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

MULTIPART_LOCATION = "multipart"


class ApiParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": ma.RAISE, "querystring": ma.RAISE}
    __location_map__ = {**FlaskParser.__location_map__,
                        MULTIPART_LOCATION: "load_multipart"}

    def load_multipart(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        MULTIPART_LOCATION: "multipart/form-data",
    }
