# ogi-api: the loader and its database. The API server and its deployment settings
# come with the API and production issues.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 OGI_DATA_DIR=/data
WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY models ./models
COPY loaders ./loaders
COPY api ./api
RUN pip install . && useradd --create-home --uid 10001 ogi && mkdir -p /data && chown ogi /data
COPY tests/fixtures/seeds ./seeds
USER ogi
VOLUME ["/data"]
ENTRYPOINT ["ogi"]
CMD ["load", "/app/seeds"]
