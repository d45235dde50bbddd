# ogi-api: the API under gunicorn, configured from the environment (api/gunicorn_conf.py).
# DATABASE_URL chooses the database (default: a SQLite file in /data). Load reports with
# the same image: docker run … ogi load /reports (docker-compose.yml has a one-shot loader).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 OGI_DATA_DIR=/data \
    PROMETHEUS_MULTIPROC_DIR=/tmp/ogi-metrics
WORKDIR /app
COPY setup.cfg setup.py pyproject.toml README.md gunicorn.conf.py ./
COPY models ./models
COPY loaders ./loaders
COPY api ./api
# OpenCV (the OCR reader's geometry; rapidocr-onnxruntime requires the full opencv-python)
# links libGL and GLib, which the slim image lacks
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*
# gcc builds the PDFium engine's page loops in C at install (setup.py), then goes
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc libc6-dev \
 && pip install . \
 && apt-get purge -y -qq gcc libc6-dev && apt-get autoremove -y -qq && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 ogi \
 && mkdir -p /data \
 && chown ogi /data
USER ogi
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["gunicorn", "-c", "python:api.gunicorn_conf", "api:create_app()"]
