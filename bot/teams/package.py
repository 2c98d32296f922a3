"""The Teams app package an admin uploads: manifest.json (the bot, personal and team scopes) and the
two icons Teams requires (192x192 colour, 32x32 white outline on transparent), zipped at the root."""

import io
import json
import math
import re
import struct
import zipfile
import zlib
from pathlib import Path
from urllib.parse import urlparse

SCHEMAS = Path(__file__).parent / "schemas"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEVELOPER_NAME_LIMIT = 32  # the manifest schema's maxLength for developer.name

MANIFEST_VERSION = "1.17"
ACCENT = (31, 111, 139)  # #1F6F8B
APP_VERSION = "1.0.0"


class PackageError(ValueError):
    pass


def png(size: int, pixel) -> bytes:
    """A minimal RGBA PNG; `pixel(x, y)` gives (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _on_ring(size: int, x: int, y: int) -> bool:
    """A loop: a ring around the centre, its thickness a seventh of the icon."""
    centre = (size - 1) / 2
    distance = math.hypot(x - centre, y - centre)
    return size * 0.22 <= distance <= size * 0.36


def color_icon() -> bytes:
    return png(192, lambda x, y: (255, 255, 255, 255) if _on_ring(192, x, y) else (*ACCENT, 255))


def outline_icon() -> bytes:
    return png(32, lambda x, y: (255, 255, 255, 255) if _on_ring(32, x, y) else (0, 0, 0, 0))


def manifest(*, app_id: str, base_url: str, developer: str, website: str, privacy_url: str, terms_url: str) -> dict:
    for field, url in (("--website", website), ("--privacy-url", privacy_url), ("--terms-url", terms_url)):
        if not url.startswith("https://"):
            raise PackageError(f"{field} must be an https:// address (Teams refuses others), not '{url}'")
    if not app_id:
        raise PackageError("LESSONLOOP_TEAMS_APP_ID is not set: it is the bot's Microsoft app id")
    if not GUID.match(app_id):
        raise PackageError(
            f"LESSONLOOP_TEAMS_APP_ID must be a GUID such as 00000000-0000-0000-0000-000000000000 "
            f"(the bot's Microsoft app id), not '{app_id}'"
        )
    if not 1 <= len(developer) <= DEVELOPER_NAME_LIMIT:
        raise PackageError(
            f"--developer must be 1 to {DEVELOPER_NAME_LIMIT} characters (Teams refuses longer), "
            f"'{developer}' has {len(developer)}"
        )
    return {
        "$schema": f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json",
        "manifestVersion": MANIFEST_VERSION,
        "version": APP_VERSION,
        "id": app_id,
        "developer": {"name": developer, "websiteUrl": website, "privacyUrl": privacy_url, "termsOfUseUrl": terms_url},
        "name": {"short": "LessonLoop", "full": "LessonLoop: lessons from case reviews"},
        "description": {
            "short": "One short safeguarding lesson a week, with one-tap replies.",
            "full": (
                "LessonLoop sends frontline staff one short lesson a week from safeguarding case reviews, with a "
                "one-tap knowledge check and a question: did this change your practice? Replies are anonymous to "
                "leads, who see only totals. Teams with a channel get a weekly agenda item for their meeting."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{"botId": app_id, "scopes": ["personal", "team"], "supportsFiles": False, "isNotificationOnly": False}],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [urlparse(base_url).hostname or "localhost"],
    }


def validate(app_manifest: dict) -> None:
    """Check the manifest against the schema of the manifest version it declares; PackageError names the field."""
    import jsonschema  # only the package command needs it

    version = app_manifest.get("manifestVersion")
    schema_file = SCHEMAS / f"MicrosoftTeams.v{version}.schema.json"
    if not schema_file.exists():
        raise PackageError(f"no Teams manifest schema for manifestVersion '{version}' in {SCHEMAS}")
    validator = jsonschema.Draft4Validator(json.loads(schema_file.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(app_manifest), key=lambda e: list(e.absolute_path))
    if errors:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors[:5])
        raise PackageError(f"the manifest does not match the Teams {version} schema: {problems}")


def package(app_manifest: dict) -> bytes:
    validate(app_manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(app_manifest, indent=2))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()
