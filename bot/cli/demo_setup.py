"""What `serve --demo` leaves behind so every other README command works in the same folder: a `.env`
with a random secret, the database, the mail folder and the address the demo serves on."""

import re
import secrets
import socket
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values


def demo_values(base_url: str) -> dict[str, str]:
    return {
        "LESSONLOOP_SECRET_KEY": secrets.token_urlsafe(32),
        "LESSONLOOP_DATABASE_URL": "sqlite:///./lessonloop.db",
        "LESSONLOOP_MAIL_DIR": "./outbox",
        "LESSONLOOP_BASE_URL": base_url,
    }


def write_demo_env(path: Path, base_url: str, environ: Mapping[str, str]) -> list[str]:
    """Add the demo's settings to `path`, keeping any already there (and their comments) or set in the
    environment; the base URL is updated to the address the demo serves on. Returns the names written."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    existing = dotenv_values(path) if path.exists() else {}
    written = []
    for name, value in demo_values(base_url).items():
        if name in environ:
            continue
        if name == "LESSONLOOP_BASE_URL" and name in existing and existing[name] != value:
            text = re.sub(rf"^{name}=.*$", f"{name}={value}", text, flags=re.MULTILINE)
            written.append(name)
        elif name not in existing:
            text += ("" if not text or text.endswith("\n") else "\n") + f"{name}={value}\n"
            written.append(name)
    if written:
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)  # it holds the secret that signs every link
    return written


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False
