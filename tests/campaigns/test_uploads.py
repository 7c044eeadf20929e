"""CSV uploads the csv module cannot read are the caller's error (a 400
naming the file), not an exception out of the route (a 500)."""

from __future__ import annotations

import pytest

from campaigns.uploads import UploadError, parse_csv_upload


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'phone\n"' + b"9" * 200_000 + b'"\n', "field larger than field limit"),
        (b'phone\r2125550100,"\rx', "new-line character seen in unquoted field"),
    ],
)
def test_unreadable_csv_is_an_upload_error(data, reason):
    with pytest.raises(UploadError) as exc:
        parse_csv_upload(data, "US")
    assert exc.value.message.startswith("file: not readable as CSV") and reason in exc.value.message


def test_a_readable_csv_still_parses():
    contacts, zones = parse_csv_upload(b"phone\n2125550100\n", "US")
    assert len(contacts) == 1 and zones == [None]
