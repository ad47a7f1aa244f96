# The pages' front-end packages, pinned by package-lock.json (served from /static/vendor).
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
COPY --from=assets /assets/node_modules node_modules
COPY pyproject.toml README.md alembic.ini ./
COPY models models
COPY store store
COPY places places
COPY loaders loaders
COPY analysis analysis
COPY edits edits
COPY app app
COPY cli cli
COPY datasets datasets
COPY migrations migrations
COPY data/sample data/sample
COPY data/manifests data/manifests
COPY data/catalog.toml data/catalog-sources.toml data/
COPY data/place-overrides.toml data/place-overrides.toml
# Editable, so the bundled sample and migrations are found beside the code.
RUN pip install --no-cache-dir -e .
ENV KINDMAP_HOST=0.0.0.0 KINDMAP_PORT=8000
EXPOSE 8000
CMD ["kindmap", "demo"]
