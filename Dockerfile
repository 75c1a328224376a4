# CNN Explorer: the web app and its NumPy engine, serving the bundled model on port 8000.
#   docker build -t cnn-explorer .
#   docker run --rm -p 8000:8000 cnn-explorer
# Settings are CNN_EXPLORER_* variables (README, "Configuration"), e.g. -e CNN_EXPLORER_WORKERS=2.
# tests/test_dockerfile.py lints this file and runs its install and start steps in a venv.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/srv/cnn-explorer \
    CNN_EXPLORER_HOST=0.0.0.0 \
    CNN_EXPLORER_PORT=8000

WORKDIR /srv/cnn-explorer

# Dependencies first, in their own layer: rebuilt only when pyproject.toml or uv.lock changes.
# Exactly the locked versions, with their hashes (the runtime packages, not the test extras).
COPY pyproject.toml uv.lock ./
RUN pip install --no-compile uv==0.13.9 \
 && uv export --frozen --no-emit-project --no-header -o /tmp/requirements.txt \
 && pip install --no-compile --require-hashes --no-deps -r /tmp/requirements.txt \
 && pip uninstall -y uv \
 && rm /tmp/requirements.txt

# The app runs from this directory (PYTHONPATH): templates, static files, the shipped model and
# the MNIST test set sit beside the code, where app/core/settings.py looks for them.
COPY engine ./engine
COPY app ./app
COPY templates ./templates
COPY static ./static
COPY models ./models
COPY data ./data

# An unprivileged user owns only what the app writes: trained and imported models (and the
# training queue and checkpoints under models/.jobs), downloaded data sets, and runs/cache
# (explanation tables). CMD starts the server and its training consumer (app/__main__.py).
RUN useradd --no-create-home --uid 10001 --user-group explorer \
 && mkdir -p runs/cache \
 && chown -R 10001:10001 models data runs
USER 10001:10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CNN_EXPLORER_PORT', '8000') + '/api/health', timeout=4)"]
CMD ["python", "-m", "app"]
