"""Reading and writing serialized onnx.TensorProto files without the onnx
package, and the protobuf varint both need."""

import struct

import numpy as np

DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16,
          6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64,
          12: np.uint32, 13: np.uint64}
BFLOAT16 = 16


def encode_varint(value):
    """A protobuf varint; a negative int64 takes ten bytes, as protobuf
    writes it."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data, pos):
    """The varint at data[pos:] and the position after it."""
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def fields(data):
    """The fields of a serialized protobuf message: a list of (field, wire
    type, raw bytes of the value as written, without the key)."""
    out, pos = [], 0
    while pos < len(data):
        key, start = decode_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = decode_varint(data, start)
        elif wire == 1:
            pos = start + 8
        elif wire == 5:
            pos = start + 4
        elif wire == 2:
            length, body = decode_varint(data, start)
            pos = body + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(data):
            raise ValueError("truncated protobuf message")
        out.append((field, wire, data[start:pos]))
    return out


def payload(raw):
    """The bytes of a length-delimited value, as fields() gives it."""
    length, body = decode_varint(raw, 0)
    return raw[body:body + length]


def read(path, header_only=False):
    """Returns (name, numpy array) of a TensorProto file, or (name, dims)
    with header_only, which reads no data and accepts any data type."""
    dims, dtype, name, raw = [], 1, "", None
    typed = {}
    for field, wire, value in fields(open(path, "rb").read()):
        if wire == 0:
            number = decode_varint(value, 0)[0]
            if field == 1:
                dims.append(number)
            elif field == 2:
                dtype = number
            else:
                typed.setdefault(field, []).append(number)
        elif wire == 2:
            chunk = payload(value)
            if field == 8:
                name = chunk.decode()
            elif field == 9:
                raw = chunk
            elif field == 4:
                typed.setdefault(4, []).extend(
                    struct.unpack(f"<{len(chunk) // 4}f", chunk))
            elif field == 10:
                typed.setdefault(10, []).extend(
                    struct.unpack(f"<{len(chunk) // 8}d", chunk))
            elif field in (1, 5, 7, 11):
                p, values = 0, []
                while p < len(chunk):
                    v, p = decode_varint(chunk, p)
                    values.append(v)
                if field == 1:
                    dims.extend(values)
                else:
                    typed.setdefault(field, []).extend(values)
        elif wire == 5:
            typed.setdefault(field, []).append(struct.unpack("<f", value)[0])
        elif wire == 1:
            typed.setdefault(field, []).append(struct.unpack("<d", value)[0])
    if header_only:
        return name, dims
    if dtype == BFLOAT16:
        # NumPy has no bfloat16; its values are float32's upper 16 bits, so
        # float32 holds them exactly (the runtime writes them that way).
        if raw is not None:
            bits = np.frombuffer(raw, dtype=np.uint16)
        else:
            bits = np.array(next(iter(typed.values()), []), dtype=np.uint16)
        array = (bits.astype(np.uint32) << 16).view(np.float32)
        return name, array.reshape(dims)
    if dtype not in DTYPES:
        raise ValueError(f"{path}: data type {dtype} has no NumPy equivalent")
    np_type = DTYPES[dtype]
    if raw is not None:
        array = np.frombuffer(raw, dtype=np_type)
    else:
        values = next(iter(typed.values()), [])
        array = np.array(values).astype(np_type)
    return name, array.reshape(dims)


def name_and_dims(path):
    """The name and dims of a TensorProto file."""
    name, array = read(path, header_only=True)
    return name, list(array)


def write_float32(path, name, array):
    """Writes `array` as a float32 TensorProto: dims (1), data_type (2),
    name (8), raw_data (9)."""
    data = b"".join(b"\x08" + encode_varint(d) for d in array.shape)
    data += b"\x10" + encode_varint(1)
    data += b"\x42" + encode_varint(len(name)) + name.encode()
    raw = array.astype("<f4").tobytes()
    data += b"\x4a" + encode_varint(len(raw)) + raw
    with open(path, "wb") as f:
        f.write(data)
