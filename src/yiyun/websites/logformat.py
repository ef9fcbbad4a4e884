"""Log formats: nginx `log_format` syntax turned into DuckDB SQL that parses lines.

The default format is nginx's `combined` followed by ` "$host"`; a line in plain
`combined` (without the host) parses under it too, its host then being the website's
domain. Any other format is written the way nginx's `log_format` is, e.g.
`$remote_addr [$time_iso8601] "$request" $status $request_time "$host"`.

Every parse yields the same columns; a line that does not match yields `ok = false`
and is kept verbatim by the compactor, flagged as a parse error.
"""

# ruff: noqa: S608 — DuckDB SQL is composed of the archive's own column names, file
# paths (quotes doubled) and constants; anything a user typed is bound as a parameter.

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yiyun.core.errors import DomainError

COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"'
)
DEFAULT = COMBINED + ' "$host"'
NAMED = {"": DEFAULT, "combined": COMBINED}

TIME_VARIABLES = ("time_local", "time_iso8601", "msec")
# nginx variable -> our column; all others go to `extra` (JSON).
COLUMN_OF = {
    "remote_addr": "remote_addr",
    "remote_user": "remote_user",
    "request": "request",
    "request_method": "method",
    "request_uri": "path",
    "uri": "path",
    "server_protocol": "protocol",
    "status": "status",
    "body_bytes_sent": "bytes",
    "bytes_sent": "bytes",
    "http_referer": "referer",
    "http_user_agent": "user_agent",
    "host": "host",
    "http_host": "host",
    "server_name": "host",
}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_TIME_LOCAL = "'%d/%b/%Y:%H:%M:%S %z'"
# nginx's $time_local, "[10/Oct/2026:13:55:36" and "+0800]", exactly; a year before 1970 or
# after 9998 is a broken clock, not a visit (and its day could not name a partition).
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_TIME_SHAPE = rf"\[\d\d/({_MONTHS})/\d{{4}}:\d\d:\d\d:\d\d"
_ZONE_SHAPE = r"[+-]([01]\d|2[0-3])[0-5]\d\]"
_LAST_SECOND = 253_370_764_800  # 9999-01-01T00:00:00Z


def _digits(value: str) -> str:
    """SQL: `value` is one or more ASCII digits (a cast alone takes '+1', ' 1' or '1.8')."""
    return f"({value} <> '' AND ltrim({value}, '0123456789') = '')"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _regex_literal(text: str) -> str:
    return "".join(f"\\x{ord(c):02X}" if not c.isalnum() and ord(c) < 128 else c for c in text)


def normalise(source: str) -> str:
    """The format as nginx would join it: `'a' 'b'` pieces concatenated, or the text as is."""
    source = source.strip()
    if source.startswith("'"):
        pieces = re.findall(r"'([^']*)'", source)
        if pieces:
            return "".join(pieces)
    return NAMED.get(source, source)


@dataclass(frozen=True)
class LineFormat:
    """A parsed log format; `.select(relation)` is SQL adding the parsed columns."""

    source: str = ""

    @property
    def text(self) -> str:
        return normalise(self.source)

    @property
    def combined_with_host(self) -> bool | None:
        """True for `combined` + "$host" (the default), False for plain `combined`, None for
        any other format: the two the C parser of file imports reads (`combined.c`)."""
        return {DEFAULT: True, COMBINED: False}.get(self.text)

    def variables(self) -> list[str]:
        return [a or b for a, b in _VARIABLE.findall(self.text)]

    def check(self) -> None:
        """Refuse a format the archive cannot use (no client address, no time)."""
        names = self.variables()
        if "remote_addr" not in names:
            raise DomainError(
                _("日志格式必须包含 $remote_addr（客户端地址）。"), field="log_format"
            )
        if not any(name in names for name in TIME_VARIABLES):
            raise DomainError(
                _("日志格式必须包含时间：$time_local、$time_iso8601 或 $msec。"),
                field="log_format",
            )
        if len(names) != len(set(names)):
            raise DomainError(_("日志格式中的变量不能重复。"), field="log_format")

    def select(self, relation: str) -> str:
        """SELECT over `relation` (which has a `line` column) adding the parsed columns:
        remote_addr, remote_user, ts, method, path, protocol, status, bytes, referer,
        user_agent, host, extra, ok. For a connection whose TimeZone is UTC (as
        `archive.duckdb_connect` makes them): a zone-less time is read as UTC."""
        if self.text in (DEFAULT, COMBINED):
            return self._select_combined(relation, with_host=self.text == DEFAULT)
        return self._select_regex(relation)

    def _select_combined(self, relation: str, *, with_host: bool) -> str:
        # Splitting on '"' is several times faster than a regular expression; nginx writes
        # a '"' inside a value as \x22, so the quotes delimit the fields exactly. Each
        # list is split once and indexed; the time of the usual +0800 zone skips `%z`.
        # The shape is checked as strictly as combined.c checks it (single spaces, two-digit
        # time fields, digits only in numbers): a line nginx did not write is kept verbatim
        # rather than read into a wrong time or size.
        lengths = "(7, 9)" if with_host else "(7)"
        return f"""
SELECT * EXCLUDE (p, h, rq, sb, ok_shape),
  ok_shape AND ts IS NOT NULL AND status IS NOT NULL AS ok
FROM (
  SELECT *,
    h[1] AS remote_addr,
    nullif(h[3], '-') AS remote_user,
    CASE WHEN NOT regexp_full_match(h[4], '{_TIME_SHAPE}') OR substr(h[4], 9, 4) NOT BETWEEN '1970' AND '9998'
      THEN NULL
      WHEN h[5] = '+0800]'
      THEN try_strptime(h[4], '[%d/%b/%Y:%H:%M:%S')::TIMESTAMPTZ - INTERVAL 8 HOUR
      WHEN regexp_full_match(h[5], '{_ZONE_SHAPE}')
      THEN try_strptime(substr(h[4], 2) || ' ' || left(h[5], 5), {_TIME_LOCAL}) END AS ts,
    rq[1] AS method, rq[2] AS path, rq[3] AS protocol,
    CASE WHEN {_digits("sb[2]")} AND len(sb[2]) <= 5 THEN try_cast(sb[2] AS USMALLINT)
      END AS status,
    CASE WHEN {_digits("sb[3]")} THEN try_cast(sb[3] AS UBIGINT) END AS bytes,
    nullif(p[4], '-') AS referer,
    nullif(p[6], '-') AS user_agent,
    CASE WHEN len(p) = 9 THEN nullif(p[8], '') END AS host,
    NULL::VARCHAR AS extra,
    len(p) IN {lengths} AND len(h) = 6 AND h[2] = '-' AND h[6] = '' AND p[5] = ' '
      AND len(sb) = 4 AND sb[1] = '' AND sb[4] = '' AND (sb[3] = '-' OR bytes IS NOT NULL)
      AND CASE len(p) WHEN 7 THEN p[7] = '' ELSE p[7] = ' ' AND p[9] = '' END AS ok_shape
  FROM (
    SELECT *, string_split(p[1], ' ') AS h, string_split(p[2], ' ') AS rq,
      string_split(p[3], ' ') AS sb
    FROM (SELECT *, string_split(line, '"') AS p FROM {relation})
  )
)"""

    def _regex(self) -> tuple[str, list[str]]:
        text = self.text
        pattern, names, position = ["^"], [], 0
        matches = list(_VARIABLE.finditer(text))
        for index, match in enumerate(matches):
            pattern.append(_regex_literal(text[position : match.start()]))
            names.append(match.group(1) or match.group(2))
            following = (
                text[match.end() : matches[index + 1].start()]
                if index + 1 < len(matches)
                else text[match.end() :]
            )
            if following:
                pattern.append(f"([^\\x{ord(following[0]):02X}]*)")
            elif index + 1 < len(matches):
                pattern.append("(.*?)")
            else:
                pattern.append("(.*)")
            position = match.end()
        pattern.append(_regex_literal(text[position:]) + "$")
        return "".join(pattern), names

    def _select_regex(self, relation: str) -> str:
        pattern, names = self._regex()
        fields = ", ".join(_sql_text(name) for name in names)
        column = {name: COLUMN_OF.get(name) for name in names}

        def value(name: str) -> str:
            return f"nullif(nullif(m.{name}, '-'), '')"

        expressions: dict[str, str] = {}
        for name, target in column.items():
            if target:
                expressions[target] = value(name)
        if "time_local" in names:
            ts = f"try_strptime(m.time_local, {_TIME_LOCAL})"
        elif "time_iso8601" in names:
            ts = "try_cast(m.time_iso8601 AS TIMESTAMPTZ)"
        else:
            # to_timestamp has no try_ form: out of range it would stop the whole batch.
            seconds = "try_cast(m.msec AS DOUBLE)"
            ts = f"CASE WHEN {seconds} >= 0 AND {seconds} < {_LAST_SECOND} THEN to_timestamp({seconds}) END"
        # As in the combined format: a time before 1970 or after 9998 is a broken clock.
        ts = f"CASE WHEN {ts} >= TIMESTAMPTZ '1970-01-01 00:00:00+00' AND {ts} < TIMESTAMPTZ '9999-01-01 00:00:00+00' THEN {ts} END"
        request = expressions.pop("request", None)
        if request:
            expressions.setdefault("method", f"split_part({request}, ' ', 1)")
            expressions.setdefault("path", f"nullif(split_part({request}, ' ', 2), '')")
            expressions.setdefault("protocol", f"nullif(split_part({request}, ' ', 3), '')")
        extras = [n for n in names if not column[n] and n not in TIME_VARIABLES]
        extra = (
            "json_object(" + ", ".join(f"{_sql_text(n)}, m.{n}" for n in extras) + ")::VARCHAR"
            if extras
            else "NULL::VARCHAR"
        )
        out = {
            "remote_addr": expressions.get("remote_addr", "NULL::VARCHAR"),
            "remote_user": expressions.get("remote_user", "NULL::VARCHAR"),
            "ts": ts,
            "method": expressions.get("method", "NULL::VARCHAR"),
            "path": expressions.get("path", "NULL::VARCHAR"),
            "protocol": expressions.get("protocol", "NULL::VARCHAR"),
            "status": f"try_cast({expressions['status']} AS USMALLINT)"
            if "status" in expressions
            else "NULL::USMALLINT",
            "bytes": f"try_cast({expressions['bytes']} AS UBIGINT)"
            if "bytes" in expressions
            else "NULL::UBIGINT",
            "referer": expressions.get("referer", "NULL::VARCHAR"),
            "user_agent": expressions.get("user_agent", "NULL::VARCHAR"),
            "host": expressions.get("host", "NULL::VARCHAR"),
            "extra": extra,
        }
        columns = ",\n    ".join(f"{sql} AS {name}" for name, sql in out.items())
        status_ok = "AND status IS NOT NULL" if "status" in expressions else ""
        return f"""
SELECT * EXCLUDE (m, matched), matched AND ts IS NOT NULL {status_ok} AS ok
FROM (
  SELECT *,
    {columns}
  FROM (
    SELECT *, regexp_full_match(line, {_sql_text(pattern)}) AS matched,
      regexp_extract(line, {_sql_text(pattern)}, [{fields}]) AS m
    FROM {relation}
  )
)"""
