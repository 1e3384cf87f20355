# One image for the web process and the Celery GPU workers (docker-compose.yml).
# PyPI's Linux torch wheel is the CUDA build; TORCH_SPEC picks another.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SUPPORTBOT_CACHE_DIR=/var/cache/supportbot

WORKDIR /app
ARG TORCH_SPEC="torch==2.13.0"
RUN pip install "$TORCH_SPEC"
COPY pyproject.toml README.md ./
COPY supportbot ./supportbot
COPY inference_worker ./inference_worker
RUN pip install ".[redis,postgres]"
COPY . .
RUN DEBUG=1 python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app supportbot \
    && mkdir -p /var/cache/supportbot /app/var \
    && chown -R supportbot /var/cache/supportbot /app/var
USER supportbot
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "supportbot.asgi:application"]
