"""Read a TensorFlow checkpoint (tensor bundle V2) with numpy alone.

A bundle is ``NAME.index`` and ``NAME.data-00000-of-00001``. The index is a LevelDB-format sorted
table (tensorflow/core/lib/io/table_format.md: data blocks of prefix-compressed key/value entries,
a block index, a 48-byte footer ending in the magic number 0xdb4775248b80fb57) whose values are
``BundleEntryProto`` messages (tensorflow/core/protobuf/tensor_bundle.proto: dtype, shape, shard,
offset, size, crc32c); the key "" holds the ``BundleHeaderProto``. The data file is the raw
little-endian tensor bytes at those offsets. Only uncompressed tables and numeric dtypes are read,
which is what TensorFlow writes; anything else is a :class:`ModelIntegrityError`, never a guess.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelIntegrityError

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
# tensorflow/core/framework/types.proto DataType -> numpy
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8, 9: np.int64,
           10: np.bool_, 19: np.float16}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs of a protobuf message: varints as int, length-delimited as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
            out.append((num, val))
        elif wire == 2:
            n, pos = _varint(buf, pos)
            out.append((num, buf[pos:pos + n]))
            pos += n
        elif wire == 5:
            out.append((num, struct.unpack_from("<I", buf, pos)[0]))
            pos += 4
        elif wire == 1:
            out.append((num, struct.unpack_from("<Q", buf, pos)[0]))
            pos += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


@dataclass(frozen=True)
class Entry:
    """One tensor of the bundle (``BundleEntryProto``)."""

    name: str
    dtype: int
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int


def _entry(name: str, value: bytes) -> Entry:
    dtype = shard = offset = size = 0
    shape: list[int] = []
    for num, val in _fields(value):
        if num == 1:
            dtype = int(val)  # type: ignore[arg-type]
        elif num == 2:
            for dnum, dim in _fields(val):  # type: ignore[arg-type]
                if dnum == 2:  # TensorShapeProto.dim
                    size_ = [v for n, v in _fields(dim) if n == 1]  # type: ignore[arg-type]
                    shape.append(int(size_[0]) if size_ else 0)  # type: ignore[arg-type]
        elif num == 3:
            shard = int(val)  # type: ignore[arg-type]
        elif num == 4:
            offset = int(val)  # type: ignore[arg-type]
        elif num == 5:
            size = int(val)  # type: ignore[arg-type]
        elif num == 7:
            raise ValueError(f"{name}: sliced tensors are not supported")
    return Entry(name, dtype, tuple(shape), shard, offset, size)


def _block(data: bytes, handle: bytes) -> list[tuple[bytes, bytes]]:
    """The key/value entries of the block a BlockHandle (two varints) points at."""
    off, pos = _varint(handle, 0)
    size, _ = _varint(handle, pos)
    block = data[off:off + size]
    if len(block) != size or off + size + 5 > len(data):
        raise ValueError("block outside the file")
    if data[off + size] != 0:
        raise ValueError("compressed table blocks are not supported")
    n_restarts = struct.unpack_from("<I", block, size - 4)[0]
    end = size - 4 - 4 * n_restarts
    out = []
    pos = 0
    key = b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        vlen, pos = _varint(block, pos)
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        out.append((key, block[pos:pos + vlen]))
        pos += vlen
    return out


def read_index(index_path: Path) -> dict[str, Entry]:
    """Every tensor entry of a bundle's ``.index`` file, by variable name."""
    data = Path(index_path).read_bytes()
    try:
        if len(data) < _FOOTER or struct.unpack_from("<Q", data, len(data) - 8)[0] != _MAGIC:
            raise ValueError("not a TensorFlow checkpoint index (bad magic number)")
        footer = data[-_FOOTER:]
        _, pos = _varint(footer, 0)  # metaindex handle: offset, size
        _, pos = _varint(footer, pos)
        entries: dict[str, Entry] = {}
        for _, handle in _block(data, footer[pos:]):
            for key, value in _block(data, handle):
                if key:  # "" is the bundle header
                    name = key.decode("utf-8")
                    entries[name] = _entry(name, value)
    except (ValueError, struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"unreadable checkpoint index: {exc}", path=index_path) from None
    return entries


def read_checkpoint(prefix: Path) -> dict[str, np.ndarray]:
    """All tensors of the bundle ``prefix`` (``prefix.index`` + ``prefix.data-00000-of-00001``)."""
    prefix = Path(prefix)
    index = prefix.with_name(prefix.name + ".index")
    entries = read_index(index)
    shards = {e.shard for e in entries.values()}
    if shards - {0}:
        raise ModelIntegrityError("multi-shard checkpoints are not supported", path=index)
    data_path = prefix.with_name(prefix.name + ".data-00000-of-00001")
    raw = data_path.read_bytes()
    out: dict[str, np.ndarray] = {}
    for name, e in sorted(entries.items()):
        dtype = _DTYPES.get(e.dtype)
        if dtype is None:
            continue  # strings and resources (e.g. optimiser state) are not weights
        n = int(np.prod(e.shape)) if e.shape else 1
        if e.size != n * np.dtype(dtype).itemsize or e.offset + e.size > len(raw):
            raise ModelIntegrityError(f"checkpoint tensor {name}: size {e.size} does not fit shape {e.shape}",
                                      path=data_path)
        arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"), count=n, offset=e.offset)
        out[name] = arr.reshape(e.shape).astype(dtype)
    return out


__all__ = ["Entry", "read_checkpoint", "read_index"]
