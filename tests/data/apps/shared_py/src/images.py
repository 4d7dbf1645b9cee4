def resize(data: bytes) -> bytes:
    return data[: len(data) // 2]
