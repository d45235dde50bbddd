"""ogi-client: the Python client of the ogi-api /v1 API.

    from ogi_client import Client

    with Client("http://127.0.0.1:8000") as api:
        for cell in api.cells(year=2023, row="granted"):
            print(cell["agency_name"], cell["value"])   # value: int or Decimal, never float
        frame = api.cells_frame(year=2023)              # pandas, value as Decimal objects
"""
from ogi_client.client import Client, Page, Pager, Upload, __version__, loads, query_value
from ogi_client.errors import ApiError, JobFailed, PagingRestart
from ogi_client.frames import cells_frame, to_dataframe
from ogi_client.retry import NEVER, Retry, retry_after

__all__ = ["Client", "Pager", "Page", "Upload", "Retry", "NEVER", "ApiError", "PagingRestart", "JobFailed",
           "to_dataframe", "cells_frame", "loads", "query_value", "retry_after", "__version__"]
