# ogi-api: the API served by gunicorn, over the embedded SQLite database by default
# (DATABASE_URL for PostgreSQL). Production settings come with the production issue.
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
EXPOSE 8000
CMD ["sh", "-c", "ogi load --quiet /app/seeds && exec ogi serve --host 0.0.0.0 --port 8000"]
