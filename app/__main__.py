"""``python -m app``: serve the explorer with uvicorn on ``CNN_EXPLORER_HOST``:``_PORT``."""

import uvicorn

from app.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    uvicorn.run(
        "app.main:app", host=settings.host, port=settings.port, log_level=settings.log_level
    )


if __name__ == "__main__":
    main()
