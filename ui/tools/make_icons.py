#!/usr/bin/env python3
"""Draws the PWA icons (ui/icons/*.png): a tiny isometric office room on the theme colour.

Pure standard library (zlib PNG writer, point-in-polygon rasteriser with 3x3 supersampling),
so it runs anywhere: `python3 ui/tools/make_icons.py`. The PNGs are checked in; rerun this
only when the drawing changes.
"""
import math
import os
import struct
import zlib

BG = (0x2F, 0x3A, 0x56)
# Shapes in a 100x100 space, painted in order: (kind, data, colour).
SHAPES = [
    ("poly", [(14, 60), (50, 42), (50, 14), (14, 32)], (0xD5, 0xDC, 0xEF)),  # left wall
    ("poly", [(50, 42), (86, 60), (86, 32), (50, 14)], (0xC5, 0xCE, 0xE6)),  # right wall
    ("poly", [(62, 32), (78, 40), (78, 26), (62, 18)], (0x10, 0x1A, 0x3A)),  # window
    ("circle", (72, 28, 3.6), (0xFF, 0xF6, 0xC4)),  # moon
    ("poly", [(50, 78), (86, 60), (50, 42), (14, 60)], (0xE9, 0xDC, 0xC6)),  # floor
    ("poly", [(44, 50), (56, 50), (56, 64), (44, 64)], (0x5B, 0x6C, 0xF0)),  # body
    ("circle", (50, 44, 6.5), (0xF1, 0xC2, 0x7D)),  # head
    ("halfcircle", (50, 43, 7), (0x4A, 0x37, 0x28)),  # hair
    ("poly", [(50, 56), (63, 62.5), (50, 69), (37, 62.5)], (0xC8, 0x9A, 0x6A)),  # desk top
    ("poly", [(37, 62.5), (50, 69), (50, 76), (37, 69.5)], (0xA9, 0x7C, 0x50)),  # desk left
    ("poly", [(50, 69), (63, 62.5), (63, 69.5), (50, 76)], (0x8F, 0x67, 0x40)),  # desk right
]


def inside_poly(x, y, pts):
    hit = False
    j = len(pts) - 1
    for i, (xi, yi) in enumerate(pts):
        xj, yj = pts[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            hit = not hit
        j = i
    return hit


def colour_at(x, y, maskable):
    """Colour (RGBA) at a point of the 100x100 space."""
    if not maskable:
        # Rounded square with transparent corners.
        r = 20
        cx = min(max(x, r), 100 - r)
        cy = min(max(y, r), 100 - r)
        if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
            return (0, 0, 0, 0)
    else:
        # Keep the drawing inside the maskable safe zone (a centred circle of 80%).
        x, y = 50 + (x - 50) / 0.8, 50 + (y - 50) / 0.8
    c = BG
    for kind, data, colour in SHAPES:
        if kind == "poly" and inside_poly(x, y, data):
            c = colour
        elif kind == "circle" and (x - data[0]) ** 2 + (y - data[1]) ** 2 <= data[2] ** 2:
            c = colour
        elif kind == "halfcircle" and y <= data[1] and (x - data[0]) ** 2 + (y - data[1]) ** 2 <= data[2] ** 2:
            c = colour
    return c + (255,)


def render(size, maskable):
    n = 3
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    x = (px + (sx + 0.5) / n) * 100 / size
                    y = (py + (sy + 0.5) / n) * 100 / size
                    c = colour_at(x, y, maskable)
                    for k in range(3):
                        acc[k] += c[k] * c[3]
                    acc[3] += c[3]
            a = acc[3]
            rgb = [round(acc[k] / a) if a else 0 for k in range(3)]
            row += bytes(rgb + [round(a / (n * n))])
        rows.append(bytes(row))
    return b"".join(rows)


def png(size, raw):
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "icons")
    os.makedirs(out, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(png(size, render(size, maskable)))
        print("wrote", name)


if __name__ == "__main__":
    main()
