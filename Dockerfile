FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY models models
COPY loaders loaders
COPY migrations migrations
COPY data/sample data/sample
# Editable, so the bundled sample and migrations are found beside the code.
RUN pip install --no-cache-dir -e .
ENV KINDMAP_HOST=0.0.0.0 KINDMAP_PORT=8000
EXPOSE 8000
CMD ["kindmap", "demo"]
