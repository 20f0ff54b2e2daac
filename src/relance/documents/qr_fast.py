"""QR symbols for e-mails, fast: byte mode, error correction M, mask 0, and a PNG written directly.

segno draws a symbol in 2 to 10 ms of pure Python (data placement, masking, a generic PNG
writer); the outbox sends hundreds of messages a second, each with its own EPC code. This
module draws the same symbol as ``segno.make_qr(data, error="m", boost_error=False,
mask=0)`` for byte-mode data (tests compare the matrices module by module), reusing segno's
tables and its function patterns, but per version it lays out the template (finder, timing,
alignment, format and version information) and the order of the data modules once; a
symbol is then the Reed-Solomon remainders (a big-integer shift register per block), one
pass over the data modules and one ``bytes.translate`` per PNG row.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Sequence
from functools import cache
from operator import itemgetter

from segno import consts, encoder

ERROR_M = consts.ERROR_LEVEL_M
MAX_VERSION = 40


def _data_bits(version: int) -> int:
    return sum(ec.num_blocks * ec.num_data for ec in consts.ECC[version][ERROR_M]) * 8


def _count_bits(version: int) -> int:
    return 8 if version < 10 else 16


def version_for(length: int) -> int:
    """The smallest version that holds ``length`` bytes in byte mode at level M."""
    for version in range(1, MAX_VERSION + 1):
        if 4 + _count_bits(version) + 8 * length <= _data_bits(version):
            return version
    raise ValueError(f"{length} bytes do not fit in a QR code at level M")


@cache
def _layout(version: int) -> tuple[int, bytes, int, Callable[[bytes], tuple[int, ...]]]:
    """Per version: the width, the data modules' mask bits in placement order (as an integer),
    their count, and a gather that lays out ``data bits + template`` in raster order.

    The template is everything but the data (finder, timing, alignment, format information
    for level M and mask 0, version information); the order is ISO/IEC 18004:2015 7.7.3's, as
    segno's ``add_codewords`` walks it."""
    width = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    positions = []
    for column in range(width - 1, 0, -2):
        right = column - 1 if column <= 6 else column  # the vertical timing pattern is skipped
        for vertical in range(width):
            for z in (0, 1):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (width - 1 - vertical) if upwards else vertical
                if matrix[i][j] == 0x2:
                    matrix[i][j] = 0x0
                    positions.append(i * width + j)
    encoder.add_format_info(matrix, version, ERROR_M, 0)
    encoder.add_version_info(matrix, version)
    count = len(positions)
    flips = bytes(
        1 if (n // width + n % width) % 2 == 0 else 0 for n in positions
    )  # mask 0: (i + j) even
    source = list(range(count, count + width * width))  # template cells
    for k, n in enumerate(positions):
        source[n] = k  # data cells
    template = b"".join(bytes(row) for row in matrix)
    gather = itemgetter(*source)
    return width, flips + template, count, gather


@cache
def _rs_table(degree: int) -> tuple[int, ...]:
    """For each leading byte, the generator polynomial times it, as an integer of ``degree`` bytes."""
    gen, log, exp = consts.GEN_POLY[degree], consts.GALIOS_LOG, consts.GALIOS_EXP
    table = [0]
    for coef in range(1, 256):
        row = bytes(exp[log[coef] + g] for g in gen)
        table.append(int.from_bytes(row, "big"))
    return tuple(table)


def _remainder(block: bytes, degree: int) -> bytes:
    table = _rs_table(degree)
    top = 8 * (degree - 1)
    mask = (1 << (8 * degree)) - 1
    r = 0
    for byte in block:
        r = ((r << 8) & mask) ^ table[byte ^ (r >> top)]
    return r.to_bytes(degree, "big")


def _codewords(data: bytes, version: int) -> bytes:
    """Mode, count, data, terminator, padding; then the blocks interleaved with their EC."""
    capacity = _data_bits(version)
    count_bits = _count_bits(version)
    bits = (0b0100 << count_bits | len(data)) << (8 * len(data)) | int.from_bytes(data, "big")
    length = 4 + count_bits + 8 * len(data)
    terminator = min(4, capacity - length)
    bits <<= terminator
    length += terminator
    # As segno does: up to the next byte, a whole zero byte when already there (decoders stop
    # at the terminator; either is valid, and the same bits let tests compare with segno).
    pad = min(8 - length % 8, capacity - length)
    bits <<= pad
    length += pad
    stream = bits.to_bytes(length // 8, "big")
    filler = (b"\xec\x11" * (capacity // 16 + 1))[: capacity // 8 - len(stream)]
    stream += filler
    blocks, errors = [], []
    offset = 0
    for ec in consts.ECC[version][ERROR_M]:
        for _ in range(ec.num_blocks):
            block = stream[offset : offset + ec.num_data]
            offset += ec.num_data
            blocks.append(block)
            errors.append(_remainder(block, ec.num_total - ec.num_data))
    out = bytearray()
    for group in (blocks, errors):
        for n in range(max(len(b) for b in group)):
            out.extend(b[n] for b in group if n < len(b))
    return bytes(out)


def qr_matrix(data: bytes) -> tuple[bytes, ...]:
    """The symbol for ``data``: rows of 0 (light) and 1 (dark), as segno's ``matrix``."""
    version = version_for(len(data))
    width, flips_template, count, gather = _layout(version)
    bits = b"".join(_BITS[byte] for byte in _codewords(data, version))
    bits += bytes(count - len(bits))  # the remainder bits are 0
    # Masked data: the bits XOR the mask, all at once as integers.
    masked = (int.from_bytes(bits, "big") ^ int.from_bytes(flips_template[:count], "big")).to_bytes(
        count, "big"
    )
    flat = bytes(gather(masked + flips_template[count:]))
    return tuple(flat[r * width : (r + 1) * width] for r in range(width))


_BITS = tuple(bytes((n >> (7 - k)) & 1 for k in range(8)) for n in range(256))


@cache
def _codeword_count(version: int) -> int:
    return sum(ec.num_blocks * ec.num_total for ec in consts.ECC[version][ERROR_M])


_HIGH = bytes(0xF0 if n == 0 else 0x00 for n in range(256))  # a light module, left half of a byte
_LOW = bytes(0x0F if n == 0 else 0x00 for n in range(256))  # a light module, right half


def png_from_matrix(matrix: Sequence[bytes | bytearray], *, border: int = 4) -> bytes:
    """A QR matrix (rows of 0 light / 1 dark) as a 1-bit greyscale PNG, 4 pixels a module.

    At 4 pixels a module, two modules make one byte of a 1-bit row: a row is two
    ``bytes.translate`` (the even modules to the high nibbles, the odd ones to the low) and
    one OR of the two as integers, all done in C."""
    modules = len(matrix[0]) + 2 * border
    side = modules * 4
    quiet = bytes(border)  # light modules (0)
    pad = bytes(2 - modules % 2)  # each line an even number of modules, at least one light after
    blank = bytes(modules) + pad
    lines = b"".join(
        [blank * border, *(quiet + bytes(r) + quiet + pad for r in matrix), blank * border]
    )
    even, odd = lines[0::2].translate(_HIGH), lines[1::2].translate(_LOW)
    packed = (int.from_bytes(even, "big") | int.from_bytes(odd, "big")).to_bytes(len(even), "big")
    step = len(blank) // 2
    used = (side + 7) // 8
    rows = []
    for start in range(0, len(packed), step):
        rows.extend([b"\x00" + packed[start : start + used]] * 4)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    # A small window and little memory: zlib's default set-up costs more than compressing 5 KB.
    deflate = zlib.compressobj(6, zlib.DEFLATED, 9, 1)
    image = deflate.compress(b"".join(rows)) + deflate.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", image) + chunk(b"IEND", b"")
    )
