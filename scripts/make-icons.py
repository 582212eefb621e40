#!/usr/bin/env python3
"""Draws the app icon (RGBA PNGs) in every size the bundles need.

A rounded square with a blue-to-violet gradient and a white ring whose left
half is filled: two people, one room, half of it yours. Pure Python, no PIL,
anti-aliased by 4x4 supersampling. Run from the repository root.
"""
import math
import struct
import zlib

SIZES = {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}


def pixel(x, y):
    """RGBA of the icon at (x, y) in a unit square."""
    r = 0.22  # corner radius
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    t = (x + y) / 2
    bg = (int(91 + (155 - 91) * t), int(124 + (108 - 124) * t), int(240 + (240 - 240) * t))
    d = math.hypot(x - 0.5, y - 0.5)
    ring_out, ring_in = 0.30, 0.24
    if d <= ring_out and (d >= ring_in or x <= 0.5):
        return (255, 255, 255, 255)
    return bg + (255,)


def render(size):
    rows = []
    ss = 4
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(ss):
                for si in range(ss):
                    p = pixel((i + (si + 0.5) / ss) / size, (j + (sj + 0.5) / ss) / size)
                    a = p[3]
                    acc[0] += p[0] * a
                    acc[1] += p[1] * a
                    acc[2] += p[2] * a
                    acc[3] += a
            a = acc[3] / (ss * ss)
            if acc[3]:
                row += bytes([int(acc[0] / acc[3]), int(acc[1] / acc[3]), int(acc[2] / acc[3]), int(a)])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    for name, size in SIZES.items():
        with open(f"src-tauri/icons/{name}", "wb") as f:
            f.write(render(size))
        print("wrote", name)
