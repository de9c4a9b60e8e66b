"""What a scoring rule is: its metadata, its parameters, the three kinds of evaluation, and the
optional columnar kernel of each kind (the same evaluation for every team at once, over arrays)."""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from operator import attrgetter, itemgetter
from typing import Annotated, Any, ClassVar, NamedTuple

import msgspec

from scoring.arrays import Ints
from scoring.columnar import Stage
from scoring.facts import Activity, Competition, Team
from scoring.periods import Calendar

__all__ = [
    "ActivityRule",
    "EligibilityRule",
    "FieldError",
    "ParamsInvalid",
    "Rule",
    "TeamContext",
    "TeamPoints",
    "TeamRule",
    "decimal_param",
]


class FieldError(msgspec.Struct, frozen=True):
    """One invalid value: where it is (``rules[1].params.max``) and what is wrong, in both languages."""

    path: str
    message_id: str
    message_en: str


class ParamsInvalid(ValueError):
    """A rule's parameters do not validate; ``errors`` has one entry per invalid parameter."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message_en}" for e in errors))
        self.errors = errors


def decimal_param(ge: Decimal | int, le: Decimal | int, description: str = "") -> Any:
    """The annotation of a Decimal parameter bounded by ``ge..le`` with at most 3 decimal places.

    msgspec cannot bound Decimals itself, so the bounds travel in ``Meta.extra`` and are checked by
    :meth:`Rule.validate`; the JSON Schema shows them as a number's minimum and maximum.
    """
    schema: dict[str, Any] = {"type": "number", "minimum": float(ge), "maximum": float(le)}
    if description:
        schema["description"] = description
    return Annotated[
        Decimal,
        msgspec.Meta(extra_json_schema=schema, extra={"ge": Decimal(ge), "le": Decimal(le), "places": 3}),
    ]


class TeamPoints(NamedTuple):
    """A team rule's contribution: the period it is for (or None), thousandths of a point, reasons."""

    period: str | None
    milli: int
    reason_id: str
    reason_en: str


class TeamContext:
    """One team's activities at one stage of an evaluation, with their local day numbers.

    ``activities[i]`` happened on local day ``days[i]`` of the competition. ``column(name)`` gives an
    attribute of every activity as a list, built once per context (rules share it). ``cache`` holds
    values rules computed for this team at this stage; ``shared`` lives for the whole evaluation (all
    teams), for memos that depend only on the competition, such as the prepared rubric.
    """

    __slots__ = ("_columns", "_days", "activities", "cache", "calendar", "competition", "shared", "team")

    def __init__(
        self,
        team: Team,
        activities: list[Activity],
        days: list[int] | None,
        calendar: Calendar,
        competition: Competition,
        shared: dict[str, Any] | None = None,
        columns: dict[str, list[Any]] | None = None,
    ) -> None:
        self.team = team
        self.activities = activities
        self._days = days
        self.calendar = calendar
        self.competition = competition
        self.shared: dict[str, Any] = {} if shared is None else shared
        self.cache: dict[str, Any] = {}
        self._columns: dict[str, list[Any]] = {} if columns is None else columns

    @property
    def days(self) -> list[int]:
        """Each activity's local day number in the competition (computed when first asked for)."""
        if self._days is None:
            self._days = self.calendar.days_of(self.column("occurred_at"))
        return self._days

    def column(self, name: str) -> list[Any]:
        """``[a.<name> for a in activities]``, computed at C speed and kept for this context."""
        values = self._columns.get(name)
        if values is None:
            values = self._columns[name] = list(map(attrgetter(name), self.activities))
        return values

    def subset(self, kept: Sequence[int]) -> TeamContext:
        """The context restricted to the activities at positions ``kept`` (ascending)."""
        if len(kept) > 1:
            getter = itemgetter(*kept)

            def pick(values: list[Any]) -> list[Any]:
                return list(getter(values))

        else:

            def pick(values: list[Any]) -> list[Any]:
                return [values[i] for i in kept]

        other = TeamContext(
            self.team,
            pick(self.activities),
            None if self._days is None else pick(self._days),
            self.calendar,
            self.competition,
            self.shared,
            {name: pick(values) for name, values in self._columns.items()},
        )
        return other

    def period_keys(self, kind: str) -> tuple[list[int], list[str]]:
        """Per activity the index of its week or month, and the labels (``week:2024-W07``) by index."""
        of_day, labels = self.calendar.period_index(kind)
        return list(map(of_day.__getitem__, self.days)), labels


class Rule:
    """A registered scoring rule. Subclass :class:`EligibilityRule`, :class:`ActivityRule` or
    :class:`TeamRule`, set the class attributes, and implement the evaluation method of that kind: its
    reference semantics, team by team. A rule may also define ``kernel``, the same evaluation for every
    team at once over the facts' columns (:class:`scoring.columnar.Stage`); a ruleset whose every rule
    has one is evaluated by the kernels (:mod:`scoring.fastpath`), about ten times faster, else team by
    team. A kernel must give exactly what the reference method gives: the equivalence tests of
    ``tests/unit/scoring/test_columnar.py`` run for every registered rule that has one.
    """

    id: ClassVar[str]
    kind: ClassVar[str]
    title: ClassVar[dict[str, str]]
    doc: ClassVar[dict[str, str]]
    params_type: ClassVar[type[msgspec.Struct]]
    #: True when a team's contributions depend only on that team's facts.
    team_local: ClassVar[bool] = True
    #: True when adding a counted activity can never lower the points this rule gives.
    additive: ClassVar[bool] = False
    #: The name of the evaluation method of the rule's kind, which a kernel computes.
    reference_method: ClassVar[str]
    #: The columnar kernel (see the kinds below), or None: the rule is evaluated team by team.
    kernel: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"<rule {self.id}>"

    def params_schema(self) -> dict[str, Any]:
        """The JSON Schema of the parameters, with defaults and bounds."""
        schema = msgspec.json.schema(self.params_type)
        defs: dict[str, Any] = schema.get("$defs", {})
        name = self.params_type.__name__
        body: dict[str, Any] = dict(defs.get(name, schema))
        body["title"] = self.title["en"]
        return body

    def validate(self, params: Mapping[str, Any]) -> Any:
        """The parameters as a Struct with defaults filled in; raises ParamsInvalid (one error per
        invalid parameter, paths relative to ``params``)."""
        if not isinstance(params, Mapping):
            raise ParamsInvalid(
                [FieldError("params", "Parameter harus berupa objek.", "Parameters must be an object.")]
            )
        fields = _fields(self.params_type)
        # Fast path (the engine re-validates stored rulesets on every evaluation): one conversion and
        # the Decimal bounds; the detailed pass below runs only to word the errors.
        try:
            converted_all = msgspec.convert(dict(params), self.params_type)
        except msgspec.ValidationError:
            pass
        else:
            if not any(
                _check_decimals(f"params.{name}", getattr(converted_all, field.name), field.type)
                for name, field in fields.items()
            ):
                return converted_all
        errors: list[FieldError] = []
        for key, value in params.items():
            path = f"params.{key}"
            field = fields.get(key)
            if field is None:
                errors.append(
                    FieldError(path, f"Parameter tidak dikenal: {key}.", f"Unknown parameter: {key}.")
                )
                continue
            if typing.get_origin(field.type) is dict and isinstance(value, Mapping):
                errors.extend(_check_mapping(path, value, field.type))
                continue
            try:
                converted = msgspec.convert(value, field.type)
            except msgspec.ValidationError as exc:
                errors.append(_literal_error(path, field.type) or _translate(path, str(exc)))
                continue
            errors.extend(_check_decimals(path, converted, field.type))
        if errors:
            raise ParamsInvalid(errors)
        try:
            return msgspec.convert(dict(params), self.params_type)
        except msgspec.ValidationError as exc:
            raise ParamsInvalid([_translate("params", str(exc))]) from None

    def default_params(self) -> Any:
        return self.params_type()

    def has_kernel(self) -> bool:
        """True when the rule has a kernel for its own reference method: one defined by the class that
        defines that method, or by a subclass of it. (A subclass that changes ``select`` but inherits
        its parent's kernel has none: that kernel computes the parent's rule.)"""
        if self.kernel is None:
            return False
        cls = type(self)
        return issubclass(_owner(cls, "kernel"), _owner(cls, self.reference_method))


def _owner(cls: type, name: str) -> type:
    """The class of ``cls``'s method resolution order that defines ``name``."""
    return next(c for c in cls.__mro__ if name in c.__dict__)


class EligibilityRule(Rule):
    """Removes candidate activities; the ones left count."""

    kind: ClassVar[str] = "eligibility"
    reference_method: ClassVar[str] = "select"
    #: ``select`` for every team at once: the stage of the activities that stay, or None when all stay.
    kernel: Callable[[Any, Stage], Stage | None] | None = None

    def select(self, params: Any, ctx: TeamContext) -> list[int] | None:
        """Positions (ascending) of the activities in ``ctx`` that stay, or None when all stay."""
        raise NotImplementedError

    def explain_removed(self, params: Any, ctx: TeamContext, activity: Activity) -> tuple[str, str]:
        """Why ``activity`` does not count (Indonesian, English)."""
        raise NotImplementedError


class ActivityRule(Rule):
    """Gives points to each counted activity."""

    kind: ClassVar[str] = "activity"
    reference_method: ClassVar[str] = "points"
    #: ``points`` for every team at once: thousandths for each activity of the stage, given what the
    #: activity rules above gave each (None when none gave anything yet: all zeros).
    kernel: Callable[[Any, Stage, Ints | None], Ints] | None = None

    def points(self, params: Any, ctx: TeamContext, running: list[int]) -> list[int]:
        """Thousandths of a point for each activity of ``ctx``; ``running[i]`` is what the activity
        rules above this one gave activity ``i``."""
        raise NotImplementedError

    def explain(
        self, params: Any, ctx: TeamContext, activity: Activity, before: int, milli: int
    ) -> tuple[str, str]:
        """Why ``activity`` received ``milli`` thousandths, having ``before`` from the rules above."""
        raise NotImplementedError


class TeamRule(Rule):
    """Gives a team points from its counted activities as a whole."""

    kind: ClassVar[str] = "team"
    reference_method: ClassVar[str] = "team_points"
    #: ``team_points`` for every team at once: each team's thousandths (the sum of its TeamPoints), in
    #: the order of the stage's teams.
    kernel: Callable[[Any, Stage], Sequence[int]] | None = None

    def team_points(self, params: Any, ctx: TeamContext) -> list[TeamPoints]:
        raise NotImplementedError


@cache
def _fields(params_type: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    """A params Struct's fields by name (resolving their annotations is slow, and they never change)."""
    return {f.encode_name: f for f in msgspec.structs.fields(params_type)}


def _check_mapping(path: str, value: Mapping[Any, Any], annotation: Any) -> list[FieldError]:
    """A mapping parameter checked entry by entry, so that each bad key or value gets its own error."""
    key_type, value_type = typing.get_args(annotation)
    errors: list[FieldError] = []
    for key, item in value.items():
        where = f"{path}.{key}"
        try:
            msgspec.convert(key, key_type)
        except msgspec.ValidationError as exc:
            errors.append(_translate(where, str(exc)))
            continue
        try:
            converted = msgspec.convert(item, value_type)
        except msgspec.ValidationError as exc:
            errors.append(_translate(where, str(exc)))
            continue
        errors.extend(_check_decimals(where, converted, value_type))
    return errors


def _check_decimals(path: str, value: Any, annotation: Any) -> list[FieldError]:
    """Bounds and precision of Decimal parameters (also inside a mapping's values)."""
    if typing.get_origin(annotation) is dict and isinstance(value, dict):
        _, value_type = typing.get_args(annotation)
        errors: list[FieldError] = []
        for key, item in value.items():
            errors.extend(_check_decimals(f"{path}.{key}", item, value_type))
        return errors
    if typing.get_origin(annotation) is not Annotated or not isinstance(value, Decimal):
        return []
    extra: dict[str, Any] = {}
    for meta in typing.get_args(annotation)[1:]:
        if isinstance(meta, msgspec.Meta) and meta.extra:
            extra.update(meta.extra)
    if not value.is_finite():
        return [FieldError(path, "Harus berupa angka.", "Must be a number.")]
    low, high = extra.get("ge"), extra.get("le")
    if low is not None and high is not None and not low <= value <= high:
        return [
            FieldError(
                path,
                f"Harus antara {_id_number(low)} dan {_id_number(high)}.",
                f"Must be between {low} and {high}.",
            )
        ]
    places = extra.get("places")
    if places is not None:
        try:
            exact = value == value.quantize(Decimal(1).scaleb(-places))
        except InvalidOperation:
            exact = False
        if not exact:
            return [
                FieldError(
                    path,
                    f"Paling banyak {places} angka di belakang koma.",
                    f"At most {places} decimal places.",
                )
            ]
    return []


def _literal_error(path: str, annotation: Any) -> FieldError | None:
    if typing.get_origin(annotation) is not typing.Literal:
        return None
    allowed = ", ".join(str(v) for v in typing.get_args(annotation))
    return FieldError(path, f"Harus salah satu dari: {allowed}.", f"Must be one of: {allowed}.")


def _id_number(value: Decimal) -> str:
    return f"{value:f}".replace(".", ",")


_TYPE_ID = {
    "int": "bilangan bulat",
    "decimal": "angka",
    "str": "teks",
    "object": "objek",
    "bool": "ya/tidak",
    "float": "angka desimal",
    "array": "daftar",
    "null": "kosong",
}
_EXPECTED = re.compile(r"Expected `(\w+)`(?:, got `(\w+)`)?(?: (>=|<=|>|<) (-?\d+))?")
_MATCHING = re.compile(r"Expected `str` matching regex '([^']*)'")
_OP_ID = {">=": "paling sedikit", "<=": "paling banyak", ">": "lebih dari", "<": "kurang dari"}
_OP_EN = {">=": "at least", "<=": "at most", ">": "greater than", "<": "less than"}


def _translate(path: str, message: str) -> FieldError:
    """msgspec's English validation message as a FieldError with an Indonesian message too."""
    text, _, _ = message.partition(" - at ")
    if match := _MATCHING.match(text):
        return FieldError(
            path,
            f"Teks tidak sesuai pola {match[1]}.",
            f"Text does not match the pattern {match[1]}.",
        )
    if match := _EXPECTED.match(text):
        expected, got, op, bound = match.groups()
        expected_id = _TYPE_ID.get(expected, expected)
        if op:
            return FieldError(
                path,
                f"Harus {expected_id} {_OP_ID[op]} {bound}.",
                f"Must be {'an integer' if expected == 'int' else 'a number'} {_OP_EN[op]} {bound}.",
            )
        return FieldError(
            path,
            f"Harus berupa {expected_id}, bukan {_TYPE_ID.get(got or '', got)}.",
            f"Must be of type {expected}, not {got}.",
        )
    if text.startswith("Invalid enum value"):
        return FieldError(path, f"Nilai tidak diizinkan ({text[19:]}).", f"Value not allowed ({text[19:]}).")
    return FieldError(path, f"Nilai tidak valid: {text}", f"Invalid value: {text}")
