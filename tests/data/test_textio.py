import pytest

from rnnkit.data.textio import check_text_file, iter_file_text, iter_files_text

TEXT = "añb€c😀d\n" * 50


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 7, 64, 1 << 20])
def test_chunks_decode_multibyte_characters_across_boundaries(tmp_path, chunk_bytes):
    path = tmp_path / "t.txt"
    path.write_bytes(TEXT.encode())
    assert "".join(iter_file_text(path, chunk_bytes=chunk_bytes)) == TEXT


def test_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfhello")
    assert "".join(iter_file_text(path, chunk_bytes=1)) == "hello"


def test_files_are_joined_with_a_newline_when_missing(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "b.txt").write_text("two\n")
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert "".join(iter_files_text(files)) == "one\ntwo\n"


def _one_line_error(fn):
    with pytest.raises(ValueError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_invalid_utf8_names_file_and_offset_even_late_in_a_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"x" * 1000 + b"\xff" + b"y" * 10)
    message = _one_line_error(lambda: list(iter_file_text(path, chunk_bytes=64)))
    assert "bad.txt" in message and "invalid UTF-8" in message and "offset 1000" in message


def test_truncated_character_at_end_of_file(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_bytes("ab€".encode()[:-1])
    message = _one_line_error(lambda: list(iter_file_text(path, chunk_bytes=2)))
    assert "offset 2" in message


def test_binary_and_empty_files(tmp_path):
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"PK\x03\x04\x00\x00abc")
    assert "NUL byte" in _one_line_error(lambda: check_text_file(binary))
    assert "offset 4" in _one_line_error(lambda: check_text_file(binary))
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    assert "empty" in _one_line_error(lambda: check_text_file(empty))
