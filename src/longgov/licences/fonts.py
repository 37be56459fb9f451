"""The CJK font licences are rendered with: ``LONGGOV_CJK_FONT`` (and ``_BOLD``) or Debian's Noto CJK.

The documents module resolves the same fonts for its notices; domains may not import each other's
internals, so the lookup is repeated here in its smallest form (same settings, same fallback).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

from longgov.config import Settings
from longgov.kernel.errors import AppError

DEBIAN_CANDIDATES = (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"))


class FontMissing(AppError):
    """No usable CJK font: licences cannot be rendered as PDF."""

    status_code = 503
    code = "cjk_font_missing"


@lru_cache(maxsize=8)
def face(path: Path) -> tuple[Path, int]:
    """(file, face index): the Simplified Chinese face of a collection, 0 for a single font."""
    if not path.is_file():
        msg = f"未找到中文字体文件：{path}（请检查 LONGGOV_CJK_FONT 设置）"
        raise FontMissing(msg)
    if path.suffix.lower() not in {".ttc", ".otc"}:
        return path, 0
    try:
        collection = TTCollection(str(path), lazy=True)
        names = [font["name"].getDebugName(4) or "" for font in collection.fonts]
    except Exception as exc:
        msg = f"中文字体文件无法读取：{path}"
        raise FontMissing(msg) from exc
    return path, next((i for i, name in enumerate(names) if "SC" in name or "Simplified Chinese" in name), 0)


def licence_fonts(settings: Settings) -> tuple[tuple[Path, int], tuple[Path, int]]:
    """(regular, bold) faces; the regular one doubles as bold when no bold file exists."""
    if settings.cjk_font:
        regular_path = Path(settings.cjk_font)
    else:
        found = [p for p in DEBIAN_CANDIDATES if p.is_file()]
        if not found:
            msg = "未找到中文字体，无法生成证照PDF：请设置 LONGGOV_CJK_FONT 指向中文字体文件，或安装 fonts-noto-cjk"
            raise FontMissing(msg)
        regular_path = found[0]
    bold_path = Path(settings.cjk_font_bold) if settings.cjk_font_bold else regular_path.with_name(regular_path.name.replace("Regular", "Bold"))
    regular = face(regular_path)
    return regular, face(bold_path) if bold_path.is_file() else regular
