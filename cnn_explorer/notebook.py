"""``show("model.onnx", ...)`` in a notebook: the explorer inline, served from this kernel.

The first call starts the server in a background thread (once per kernel, on a free port);
later calls reuse it. A model file is imported into the per-user folder first
(:func:`cnn_explorer.local.import_model`, the same options as the command). The answer is an
object Jupyter shows as an ``<iframe>`` of the explorer with a plain link under it, for
front ends that do not show frames.
"""

from __future__ import annotations

import html
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from cnn_explorer import local

# Notebook front ends on this machine (Jupyter, VS Code) may frame the pages; nothing else.
NOTEBOOK_ANCESTORS = "'self' http://localhost:* http://127.0.0.1:* vscode-webview:"


@dataclass
class Running:
    server: object  # uvicorn.Server
    thread: threading.Thread
    host: str
    port: int


_running: Running | None = None
_lock = threading.Lock()


@dataclass(frozen=True)
class Explorer:
    """What ``show`` returns: Jupyter displays its ``_repr_html_``."""

    url: str
    width: str = "100%"
    height: int = 720

    def _repr_html_(self) -> str:
        url = html.escape(self.url, quote=True)
        return (
            f'<iframe src="{url}" width="{self.width}" height="{self.height}" '
            'style="border: 1px solid #ccc" title="CNN Explorer"></iframe>'
            f'<p><a href="{url}" target="_blank" rel="noopener">Open CNN Explorer: {url}</a></p>'
        )

    def __repr__(self) -> str:
        return f"CNN Explorer at {self.url}"


def start(host: str = "127.0.0.1") -> Running:
    """The kernel's server: started on the first call (a free port), then the same one."""
    global _running
    with _lock:
        if _running is not None and _running.thread.is_alive():
            return _running
        import uvicorn

        from app.core.settings import Settings
        from app.main import create_app

        models = local.models_dir()
        local.seed(models)
        settings = Settings(
            models_dir=models,
            cache_dir=local.environment(models).get("CNN_EXPLORER_CACHE_DIR")
            or Settings.from_env().cache_dir,
            frame_ancestors=NOTEBOOK_ANCESTORS,
            training_mode="thread",  # no consumer process beside a kernel
            log_level="warning",
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((host, 0))
        config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="cnn-explorer", daemon=True
        )
        thread.start()
        _running = Running(server, thread, host, sock.getsockname()[1])
    if not local.wait_until_up(local.page_url(host, _running.port)):
        raise RuntimeError(f"CNN Explorer did not start on {host}:{_running.port}")
    return _running


def stop() -> None:
    """Stop the kernel's server, if one is running."""
    global _running
    with _lock:
        if _running is None:
            return
        _running.server.should_exit = True
        _running.thread.join(timeout=10)
        _running = None


def show(model: str | Path | None = None, *, height: int = 720, **options) -> Explorer:
    """Show the explorer inline, on ``model`` (an ``.onnx`` file, imported first) if given.

    ``options`` are :func:`cnn_explorer.local.import_model`'s: ``name``, ``channels``,
    ``mean``, ``std``, ``scale``, ``invert``, ``classes``, ``dataset``, ``external_data``.
    """
    running = start()
    model_id = None
    if model is not None:
        model_id = local.import_model(Path(model), local.models_dir(), **options)
    return Explorer(local.page_url(running.host, running.port, model_id), height=height)
