"""Relational model of the reports: agency 1—n report 1—n cell / finding / section."""
from models.agency import Agency
from models.apikey import ApiKey
from models.audit import WriteEvent
from models.cell import Cell
from models.db import database, default_url, open_database
from models.finding import Finding
from models.job import Job
from models.report import Report
from models.schema import MODELS, SCHEMA_VERSION, Meta, ensure_schema
from models.search import SearchDoc
from models.section import Section
from models.source import SourceFile

__all__ = [
    "Agency", "ApiKey", "Cell", "Finding", "Job", "MODELS", "Meta", "Report", "SCHEMA_VERSION", "SearchDoc", "Section",
    "SourceFile", "WriteEvent", "database", "default_url", "ensure_schema", "open_database",
]
