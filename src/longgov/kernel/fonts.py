"""Where the CJK font for PDFs (documents, licences) comes from.

Production names its font with ``LONGGOV_CJK_FONT`` (a .ttf, .otf or .ttc path); otherwise the
Noto CJK fonts of Debian's ``fonts-noto-cjk`` package are used. No font file is part of the repository.
fpdf2 reads TrueType collections directly, so for a .ttc the Simplified Chinese face is picked by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

from longgov.config import Settings
from longgov.kernel.errors import AppError

FONT_ENV = "LONGGOV_CJK_FONT"
FONT_BOLD_ENV = "LONGGOV_CJK_FONT_BOLD"
DEBIAN_NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
# Serif (宋体-like) reads as an official document; sans is the fallback.
DEBIAN_CANDIDATES = ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc")
_SC_MARKERS = ("SC", "Simplified Chinese")


class FontMissing(AppError):
    """No usable CJK font: PDFs (documents, licences) cannot be rendered."""

    status_code = 503
    code = "cjk_font_missing"


@dataclass(frozen=True)
class FontFace:
    """One face of a font file (``index`` is the face number inside a .ttc, 0 otherwise)."""

    path: Path
    index: int = 0


@dataclass(frozen=True)
class CjkFonts:
    """The regular face for body text and a bold face for titles (the regular one when none is found)."""

    regular: FontFace
    bold: FontFace


def _sc_index(path: Path) -> int:
    """Index of the Simplified Chinese face of a collection (0 for a single font)."""
    if path.suffix.lower() not in {".ttc", ".otc"}:
        return 0
    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        name = font["name"].getDebugName(4) or ""
        if any(marker in name for marker in _SC_MARKERS):
            return index
    return 0


def _face(path: Path) -> FontFace:
    if not path.is_file():
        msg = f"未找到中文字体文件：{path}（请检查 {FONT_ENV} 设置）"
        raise FontMissing(msg)
    try:
        return FontFace(path, _sc_index(path))
    except Exception as exc:
        msg = f"中文字体文件无法读取：{path}（{FONT_ENV} 应指向 .ttf、.otf 或 .ttc 字体）"
        raise FontMissing(msg) from exc


def _bold_sibling(path: Path) -> Path | None:
    if "Regular" not in path.name:
        return None
    candidate = path.with_name(path.name.replace("Regular", "Bold"))
    return candidate if candidate.is_file() else None


def resolve_fonts(configured: str | None = None, configured_bold: str | None = None) -> CjkFonts:
    """The fonts to render with: the configured path, else Debian's Noto CJK; a clear error if neither exists."""
    if configured:
        regular_path = Path(configured)
    else:
        found = [DEBIAN_NOTO_DIR / name for name in DEBIAN_CANDIDATES if (DEBIAN_NOTO_DIR / name).is_file()]
        if not found:
            msg = f"未找到中文字体，无法生成PDF：请设置 {FONT_ENV} 指向中文字体文件，或安装 fonts-noto-cjk"
            raise FontMissing(msg)
        regular_path = found[0]
    regular = _face(regular_path)
    bold_path = Path(configured_bold) if configured_bold else _bold_sibling(regular_path)
    bold = _face(bold_path) if bold_path else regular
    return CjkFonts(regular=regular, bold=bold)


@lru_cache(maxsize=4)
def cached_fonts(configured: str | None, configured_bold: str | None) -> CjkFonts:
    """``resolve_fonts`` once per configuration (scanning a collection's faces is not free)."""
    return resolve_fonts(configured or "", configured_bold or "")


def fonts_for(settings: Settings) -> CjkFonts:
    """The fonts named by the settings (``LONGGOV_CJK_FONT``) or the Debian fallback, cached."""
    return cached_fonts(str(settings.cjk_font) if settings.cjk_font else None, str(settings.cjk_font_bold) if settings.cjk_font_bold else None)
