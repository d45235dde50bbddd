"""The /v1 endpoints, one blueprint per resource."""
from api.v1 import agencies, aggregates, bulk, catalog, cells, codebook, findings, indicators, jobs, reports, sections

BLUEPRINTS = [agencies.blp, reports.blp, cells.blp, aggregates.blp, findings.blp, indicators.blp, codebook.blp,
              bulk.blp, catalog.blp, jobs.blp, sections.blp]
