# Sourced by scripts/run.sh and scripts/test.sh: puts the pinned uv on PATH, installing it with
# pip the first time. uv installs the project's packages from uv.lock into .venv/.
# The version is pinned in pyproject.toml ([tool.uv] required-version); keep the two equal.
UV_VERSION="0.13.9"
if ! uv --version 2>/dev/null | grep -qx "uv $UV_VERSION.*"; then
  echo "==> installing uv $UV_VERSION (the installer that reads uv.lock)"
  python3 -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
  hash -r
fi
export UV_PROJECT_ENVIRONMENT="$PWD/.venv"
