"""flask-smorest set up for this API: arguments refused with 400 (unknown ones too),
errors documented and answered as problem+json, numbers as exact JSON numbers."""
from __future__ import annotations

import http
import json
from decimal import Decimal

import flask_smorest
import marshmallow as ma
import orjson
from flask.json.provider import DefaultJSONProvider
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.fields import DelimitedList
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import MultiDict

from api.errors import PROBLEM, ProblemSchema, handle_http_exception
from models.decimals import json_default, to_decimal


class Parser(FlaskParser):
    """Query arguments: unknown ones refused; a parameter given more than once
    (``year=2021&year=2022``, as ``requests`` sends a list) is the list of its values
    where the parameter takes a list, and a 400 that names it where it takes one
    value: never a value silently dropped."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req):
        """One instance of each argument schema class, made once (webargs would make one a
        request: its fields copied each time); loading keeps no state in it."""
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def load_querystring(self, req, schema):
        repeated = [k for k in req.args if len(req.args.getlist(k)) > 1]
        if not repeated:
            return super().load_querystring(req, schema)
        fields = {f.data_key or name: f for name, f in schema.fields.items()}
        single = [k for k in repeated if k in fields and not isinstance(fields[k], DelimitedList)]
        if single:
            error = ma.ValidationError({"query": {k: [f"given {len(req.args.getlist(k))} times: it takes one value"]
                                                  for k in single}})
            self.handle_error(error, req, schema, error_status_code=400, error_headers=None)
        args = MultiDict(req.args)
        for k in repeated:
            if k in fields:  # a list: the values of every repetition, as if given comma-separated
                args.setlist(k, [",".join(req.args.getlist(k))])
        return self._makeproxy(args, schema)

    def _raw_load_json(self, req):
        """A JSON body (POST /v1/cells/query) with its numbers exact: a fraction as a
        Decimal, never a float (value_gte 0.1 is 0.1)."""
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            return json.loads(data.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return self._handle_invalid_json_error(error, req)


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
    """A number as printed, exactly: a JSON number with every digit (``12``,
    ``3664843848.32580008``), never through a binary float."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value if isinstance(value, Decimal) else to_decimal(value)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON (flask-smorest's responses, problem details) written by orjson, as
    the list responses are: UTF-8, keys in order, a Decimal as an exact JSON number."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj, **kwargs) -> str:
        option = orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS
        if kwargs.get("indent"):
            option |= orjson.OPT_INDENT_2
        return orjson.dumps(obj, default=self.default, option=option).decode()

    @staticmethod
    def default(o):
        if isinstance(o, Decimal):
            return json_default(o)
        return DefaultJSONProvider.default(o)
