"""Reading a user's form: as on a real panel, an unknown `elid` is not an error, so only the `user`
list tells whether an account exists (issue #10: a billing that trusted the form adopted strangers)."""

from __future__ import annotations

from ispmanager_emulator import EmulatorServer

from .helpers import Api, flat, val


def test_form_of_a_missing_user_is_empty_and_not_an_error(emu: EmulatorServer, api: Api) -> None:
    doc = api("user.edit", elid="ghost")["doc"]
    assert "error" not in doc
    assert val(doc["elid"]) == "ghost"  # the asked id is echoed, as a real panel does
    assert val(doc["name"]) == "" and val(doc["comment"]) == "" and val(doc.get("create_time", "")) == ""
    assert "ghost" not in {val(e["name"]) for e in api.elems("user")}
    assert "ghost" not in emu.state.users  # a read creates nothing


def test_form_of_a_missing_user_in_every_format(api: Api) -> None:
    assert "<error" not in api("user.edit", out="xml", elid="ghost")
    data = api("user.edit", out="JSONdata", elid="ghost")
    assert "error" not in data and data["name"] == ""


def test_changes_to_a_missing_user_are_still_refused(api: Api) -> None:
    err = api.error("user.edit", sok="ok", elid="ghost", fullname="X")
    assert (err["$type"], err["$object"]) == ("missed", "user")
    assert api.error("user.delete", elid="ghost")["$type"] == "missed"


def test_the_list_and_the_form_of_an_existing_user_carry_its_comment(api: Api) -> None:
    api.ok("user.edit", sok="ok", name="bob", passwd="pw-123456", comment="moorage:abc123")
    form = flat(api("user.edit", elid="bob")["doc"])
    assert form["name"] == "bob" and form["comment"] == "moorage:abc123" and form["create_time"]
    row = next(flat(e) for e in api.elems("user") if val(e["name"]) == "bob")
    assert row["comment"] == "moorage:abc123"
    api.ok("user.edit", sok="ok", elid="bob", comment="moorage:abc123 VIP client")  # staff add a note
    assert flat(api("user.edit", elid="bob")["doc"])["comment"] == "moorage:abc123 VIP client"
