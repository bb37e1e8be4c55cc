# Mentorbot's production image: the pinned dependencies from requirements.lock, then the package
# itself without resolving anything again, run as an unprivileged user.
#   docker build -t mentorbot .
#   docker run --env-file .env -p 3000:3000 mentorbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
COPY mentorbot_sandbox ./mentorbot_sandbox
RUN pip install --no-deps . && rm -rf /src

RUN useradd --create-home --uid 10001 mentorbot
USER mentorbot
WORKDIR /home/mentorbot

# Without DATABASE_URL the bot keeps SQLite in /home/mentorbot; use PostgreSQL in production.
ENV PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)"
CMD ["mentorbot", "serve"]
