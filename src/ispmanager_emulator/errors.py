"""Panel errors: the exception every handler raises and the error document it becomes."""

from __future__ import annotations

from typing import Any

from .limits import LIMIT_LABELS
from .render import Doc, Node

OBJECT_LABELS = {
    "en": {
        "user": "User",
        "preset": "Template",
        "webdomain": "WWW domain",
        "domain": "Domain",
        "record": "Record",
        "emaildomain": "Mail domain",
        "email": "Mailbox",
        "db": "Database",
        "db_user": "Database user",
        "ftp_user": "FTP user",
        "ipaddr": "IP address",
        "func": "Function",
        "session": "Session",
    },
    "ru": {
        "user": "Пользователь",
        "preset": "Шаблон",
        "webdomain": "WWW-домен",
        "domain": "Домен",
        "record": "Запись",
        "emaildomain": "Почтовый домен",
        "email": "Почтовый ящик",
        "db": "База данных",
        "db_user": "Пользователь базы данных",
        "ftp_user": "FTP-пользователь",
        "ipaddr": "IP-адрес",
        "func": "Функция",
        "session": "Сессия",
    },
}


class ApiError(Exception):
    """A panel error: rendered as <error type object><param/>...<msg/><detail/></error>."""

    def __init__(
        self,
        etype: str,
        obj: str = "",
        value: str = "",
        msg: str = "",
        *,
        detail: str | None = None,
        group: str = "",
        bare: bool = False,
    ) -> None:
        super().__init__(f"{etype}({obj}): {msg}")
        self.etype = etype
        self.obj = obj
        self.value = value
        self.msg = msg
        self.detail = msg if detail is None else detail
        self.group = group
        self.bare = bare


def is_ru(lang: str) -> bool:
    return lang == "ru"


def _label(lang: str, obj: str) -> str:
    return OBJECT_LABELS["ru" if is_ru(lang) else "en"].get(obj, obj)


def err_badpassword(lang: str, remote: str) -> ApiError:
    text = "Неверное имя пользователя или пароль " if is_ru(lang) else "Invalid username or password "
    return ApiError("auth", "badpassword", f"remote_addr: [{remote}]", text, bare=True)


def err_exists(lang: str, obj: str, value: str) -> ApiError:
    label = _label(lang, obj)
    if is_ru(lang):
        group = "__object__ со значением '__value__' уже существует"
        msg = f"{label} со значением '{value}' уже существует"
    else:
        group = "__object__ with '__value__' already exists"
        msg = f"{label} with '{value}' already exists"
    return ApiError("exists", obj, value, msg, group=group)


def err_missed(lang: str, obj: str, value: str = "") -> ApiError:
    label = _label(lang, obj)
    if value:
        msg = f"{label} '{value}' не найден" if is_ru(lang) else f"{label} '{value}' not found"
    else:
        msg = f"Не указано значение поля '{obj}'" if is_ru(lang) else f"The '{obj}' field is required"
    return ApiError("missed", obj, value, msg)


def err_value(lang: str, param: str, value: str, why: str = "") -> ApiError:
    msg = f"Неверное значение поля '{param}'" if is_ru(lang) else f"The value of the '{param}' field is invalid"
    return ApiError("value", param, value, msg, detail=(msg + (f": {why}" if why else "")))


def err_unknown_func(lang: str, name: str) -> ApiError:
    msg = f"Функция '{name}' не найдена" if is_ru(lang) else f"Unknown function '{name}'"
    return ApiError("missed", "func", name, msg)


def err_access(lang: str, what: str = "") -> ApiError:
    msg = "Доступ запрещён" if is_ru(lang) else "Access denied"
    return ApiError("access", what, "", msg)


def err_limit(lang: str, limit: str, value: int, used: int | None = None) -> ApiError:
    label = LIMIT_LABELS["ru" if is_ru(lang) else "en"].get(limit, limit)
    if is_ru(lang):
        msg = f"Превышен лимит '{label}' ({limit} = {value})"
    else:
        msg = f"The limit '{label}' has been reached ({limit} = {value})"
    detail = msg if used is None else f"{msg}; in use: {used}"
    return ApiError("limit", limit, str(value), msg, detail=detail)


def error_doc(exc: ApiError, lang: str) -> Doc:
    """The ``<doc><error type= object=>`` document of a refusal."""
    doc = Doc("error")
    children: list[tuple[str, Any]] = [
        (
            "param",
            [
                Node({"name": "object", "type": "msg"}, exc.obj),
                Node({"name": "value"}, exc.value),
            ],
        )
    ]
    if exc.group:
        children.append(("group", exc.group))
    children.append(("msg", exc.msg))
    children.append(("detail", exc.detail))
    doc.items.append(("error", Node({"type": exc.etype, "object": exc.obj, "lang": lang}, children=children)))
    doc.error = (exc.etype, exc.obj, exc.value, exc.msg, exc.detail)
    doc.bare = exc.bare
    return doc
