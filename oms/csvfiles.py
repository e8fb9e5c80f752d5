"""CSV text rules shared by every export and import: encodings and formula neutralising."""

CP932_TWINS = str.maketrans(
    {
        "\u301c": "\uff5e",  # WAVE DASH -> FULLWIDTH TILDE
        "\u2016": "\u2225",  # DOUBLE VERTICAL LINE -> PARALLEL TO
        "\u2212": "\uff0d",  # MINUS SIGN -> FULLWIDTH HYPHEN-MINUS
        "\u00a2": "\uffe0",
        "\u00a3": "\uffe1",
        "\u00ac": "\uffe2",
    }
)
# The conventional visible substitute in Japanese systems (geta mark), never a silent "?".
SUBSTITUTE = "〓"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
ENCODINGS = {"cp932": "cp932", "utf8": "utf-8-sig"}


def neutralise(text: str) -> str:
    """Stop spreadsheet formulas in human-facing exports (text cells only)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_cp932(text: str) -> tuple[str, int]:
    """Text that encodes as CP932, and how many characters had to be substituted."""
    text = text.translate(CP932_TWINS)
    try:
        text.encode("cp932")
        return text, 0
    except UnicodeEncodeError:
        pass
    out, replaced = [], 0
    for char in text:
        try:
            char.encode("cp932")
            out.append(char)
        except UnicodeEncodeError:
            out.append(SUBSTITUTE)
            replaced += 1
    return "".join(out), replaced


def export_cell(value, encoding: str) -> tuple[object, int]:
    """One cell of a human-facing export: numbers as they are, text neutralised."""
    if value is None:
        return "", 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value, 0
    text = neutralise(str(value))
    return to_cp932(text) if encoding == "cp932" else (text, 0)


class UploadError(ValueError):
    """An uploaded file that cannot be read at all; the message says why."""


def decode_upload(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 with or without BOM, else CP932 (Shift_JIS), both
    strictly, so a wrong guess is an error and never mojibake (RELIABILITY.md D 5.2.2)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError("The file is neither UTF-8 nor Shift_JIS (CP932) text.")
