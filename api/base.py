"""flask-smorest set up for this API: arguments refused with 400 (unknown ones too),
errors documented and answered as problem+json, numbers as JSON numbers."""
from __future__ import annotations

import http
from decimal import Decimal

import flask_smorest
import marshmallow as ma
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser

from api.errors import PROBLEM, ProblemSchema, handle_http_exception
from loaders.document import number


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)

    def _register_responses(self):
        """flask-smorest's error responses, with the problem+json media type."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class Number(ma.fields.Float):
    """A number as printed: integers as JSON integers, decimals with their digits."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return number(value if isinstance(value, Decimal) else Decimal(str(value)))
