FROM python:3.11-slim

COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PYTHONUNBUFFERED=1

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY digests ./digests
COPY lesson_bank ./lesson_bank
COPY schedules ./schedules
COPY migrations ./migrations
RUN uv sync --frozen --no-dev

RUN useradd --create-home --uid 10001 lessonloop && mkdir -p /data && chown lessonloop /data
USER lessonloop
ENV LESSONLOOP_DATABASE_URL=sqlite:////data/lessonloop.db LESSONLOOP_MAIL_DIR=/data/outbox PATH="/app/.venv/bin:$PATH"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["lessonloop", "serve", "--host", "0.0.0.0", "--port", "8000"]
