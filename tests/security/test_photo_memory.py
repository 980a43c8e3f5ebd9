"""Probe item 10: images are decoded within a memory budget.

Each case runs `photos.prepare` in a fresh Python process and compares its peak resident memory
(ru_maxrss) before and after: before the fix, the 7,700 x 7,700 PNG (59 Mpx, under the old
60 Mpx cap) took about 700 MB to shrink.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import io, json, resource, struct, sys, zlib
    import django
    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image
    from corridor.directory import photos

    kind, side = sys.argv[1], int(sys.argv[2])

    def png(side):
        def chunk(k, d):
            return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
        row = b"\\x00" + bytes((196, 120, 52)) * side
        comp = zlib.compressobj(9)
        idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
        ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
        return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")

    data = png(side) if kind == "png" else open(sys.argv[3], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        photos.prepare(SimpleUploadedFile("x." + kind, data))
        outcome = "accepted"
    except ValidationError:
        outcome = "refused"
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"outcome": outcome, "growth_mb": (after - before) / 1024}))
    """
)


def _run(kind: str, side: int, path: str = "") -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "corridor.settings", "DEBUG": "1"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, kind, str(side), path],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_huge_png_is_refused_before_decoding():
    result = _run("png", 7700)
    assert result["outcome"] == "refused"
    assert result["growth_mb"] < 50, result


@pytest.mark.slow
def test_png_just_over_the_budget_is_refused_without_decoding():
    result = _run("png", 5000)  # 25 Mpx: under the pixel cap, over the memory budget
    assert result["outcome"] == "refused"
    assert result["growth_mb"] < 50, result


@pytest.mark.slow
def test_large_jpeg_is_decoded_at_a_reduced_scale_within_the_budget(tmp_path):
    from PIL import Image

    # 6,000 x 6,000 (36 Mpx): decoded in full it takes 144 MB a copy (275 MB measured before
    # the fix); draft mode decodes it at 1/2 scale (made here, so that the measuring process
    # starts small).
    path = tmp_path / "big.jpg"
    Image.new("RGB", (6000, 6000), (10, 120, 200)).save(path, "JPEG", quality=50)
    result = _run("jpeg", 6000, str(path))
    assert result["outcome"] == "accepted"
    assert result["growth_mb"] < 150, result
