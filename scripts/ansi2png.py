#!/usr/bin/env python3
"""Renders a terminal capture with ANSI colours (tmux capture-pane -e) to a PNG.

usage: ansi2png.py CAPTURE.ansi OUT.png [--cols N --rows N]
Needs Pillow and the DejaVu Sans Mono font (Debian: fonts-dejavu-core).
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BG = (24, 26, 33)
FG = (215, 218, 224)
# A dark xterm-like palette for the 16 base colours.
BASE = [
    (40, 42, 54), (224, 85, 97), (140, 200, 95), (230, 192, 90),
    (97, 150, 230), (198, 120, 221), (86, 190, 200), (190, 193, 200),
    (100, 104, 115), (255, 110, 120), (170, 230, 120), (250, 215, 120),
    (130, 180, 255), (220, 150, 240), (120, 220, 230), (250, 250, 250),
]


def xterm256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER_ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]")


def parse(text):
    """Yields rows of (char, fg, bg, bold)."""
    rows = []
    fg, bg, bold, reverse, dim = None, None, False, False, False
    for line in text.split("\n"):
        row = []
        pos = 0
        line = OTHER_ESC.sub("", line)
        for m in SGR.finditer(line + "\x1b[m"):
            for ch in line[pos:m.start()]:
                f = fg or FG
                b = bg or BG
                if dim and fg is None:
                    f = (130, 134, 145)
                if reverse:
                    f, b = b, f
                row.append((ch, f, b, bold))
            pos = m.end()
            params = [int(p) if p else 0 for p in m.group(1).split(";")] if m.group(1) else [0]
            i = 0
            while i < len(params):
                p = params[i]
                if p == 0:
                    fg, bg, bold, reverse, dim = None, None, False, False, False
                elif p == 1:
                    bold = True
                elif p == 2:
                    dim = True
                elif p == 22:
                    bold, dim = False, False
                elif p == 7:
                    reverse = True
                elif p == 27:
                    reverse = False
                elif 30 <= p <= 37:
                    fg = BASE[p - 30]
                elif 90 <= p <= 97:
                    fg = BASE[p - 90 + 8]
                elif p == 39:
                    fg = None
                elif 40 <= p <= 47:
                    bg = BASE[p - 40]
                elif 100 <= p <= 107:
                    bg = BASE[p - 100 + 8]
                elif p == 49:
                    bg = None
                elif p in (38, 48) and i + 1 < len(params):
                    if params[i + 1] == 5 and i + 2 < len(params):
                        c = xterm256(params[i + 2])
                        i += 2
                    elif params[i + 1] == 2 and i + 4 < len(params):
                        c = tuple(params[i + 2:i + 5])
                        i += 4
                    else:
                        c = None
                    if p == 38:
                        fg = c
                    else:
                        bg = c
                i += 1
        rows.append(row)
    return rows


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8", errors="replace") as f:
        rows = parse(f.read().rstrip("\n"))
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT_BOLD, SIZE)
    cw = round(font.getlength("M"))
    # Box-drawing glyphs span ascent + descent exactly, so rows of them join up.
    ascent, descent = font.getmetrics()
    ch = ascent + descent
    cols = max((len(r) for r in rows), default=80)
    pad = 12
    img = Image.new("RGB", (cols * cw + 2 * pad, len(rows) * ch + 2 * pad), BG)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(rows):
        for x, (c, f, b, is_bold) in enumerate(row):
            px, py = pad + x * cw, pad + y * ch
            if b != BG:
                draw.rectangle([px, py, px + cw, py + ch], fill=b)
            if c != " ":
                draw.text((px, py), c, font=bold if is_bold else font, fill=f)
    img.save(out)


if __name__ == "__main__":
    main()
