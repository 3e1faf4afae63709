"""Lists are paged as on a real panel: p_cnt (page size, 1,000 by default), p_num, p_elems."""

from __future__ import annotations

from .helpers import Api, val


def make_users(api: Api, count: int) -> list[str]:
    names = [f"user{n:02d}" for n in range(count)]
    for name in names:
        api.ok("user.edit", sok="ok", name=name, passwd="pw-123456")
    return names


def test_default_page_is_1000_and_reports_the_whole_list(api: Api) -> None:
    make_users(api, 3)
    doc = api("user")["doc"]
    assert len(doc["elem"]) == 3
    assert (val(doc["p_cnt"]), val(doc["p_num"]), val(doc["p_elems"])) == ("1000", "1", "3")


def test_pages_split_the_list_in_order(api: Api) -> None:
    names = make_users(api, 5)
    seen = []
    for page in (1, 2, 3):
        doc = api("user", p_cnt="2", p_num=str(page))["doc"]
        assert (val(doc["p_cnt"]), val(doc["p_num"]), val(doc["p_elems"])) == ("2", str(page), "5")
        seen += [val(e["name"]) for e in doc.get("elem", [])]
    assert seen == names


def test_a_page_past_the_end_is_empty(api: Api) -> None:
    make_users(api, 2)
    doc = api("user", p_cnt="2", p_num="2")["doc"]
    assert "elem" not in doc and val(doc["p_elems"]) == "2"


def test_jsondata_pages_the_bare_array(api: Api) -> None:
    make_users(api, 3)
    assert [e["name"] for e in api("user", out="JSONdata", p_cnt="1", p_num="3")] == ["user02"]


def test_xml_and_text_page_too(api: Api) -> None:
    make_users(api, 3)
    assert api("user", out="xml", p_cnt="2").count("<elem>") == 2
    assert len(api("user", out="text", p_cnt="1", p_num="2").splitlines()) == 1


def test_hostile_paging_values_are_refused(api: Api) -> None:
    make_users(api, 1)
    for name, value in (("p_cnt", "0"), ("p_cnt", "-5"), ("p_num", "abc"), ("p_cnt", "9" * 50), ("p_num", "１")):
        err = api.error("user", **{name: value})
        assert (err["$type"], err["$object"]) == ("value", name)


def test_paging_applies_to_every_list(api: Api) -> None:
    api.ok("user.edit", sok="ok", name="acme", passwd="pw-123456")
    for n in range(3):
        api.ok("site.edit", sok="ok", name=f"site{n}.test", owner="acme")
    doc = api("webdomain", p_cnt="1", p_num="2")["doc"]
    assert [val(e["name"]) for e in doc["elem"]] == ["site1.test"] and val(doc["p_elems"]) == "3"
