# The API image: uv installs the locked dependencies, `studygraph serve` migrates then serves.
FROM python:3.11-slim
COPY --from=ghcr.io/astral-sh/uv:0.8 /uv /usr/local/bin/uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY api ./api
COPY schema ./schema
COPY db ./db
COPY agents ./agents
RUN uv sync --locked --no-dev
RUN useradd --create-home studygraph
USER studygraph
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["uv", "run", "--no-sync", "studygraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
