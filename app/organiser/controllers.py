"""The organiser console: ruleset editor, what-if preview, publish and restore; the audit trail; the public
rules reference. Every change goes through a service that records its audit event in the same transaction."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n
from app.accounts.auth import CurrentUser, organiser_only, public
from app.accounts.services import account_by_id
from app.audit import labels
from app.audit import services as audit
from app.audit.chain import describe
from app.competitions.services import CompetitionInfo, activity_types, current_competition, ruleset_in_force
from app.errors import Conflict, Invalid
from app.inputs import parse_id
from app.leaderboard import policy
from app.organiser import accounts, rulesets
from app.organiser.markdown import render
from app.organiser.overview import season_overview
from app.organiser.plain import plain, type_names
from app.organiser.results import final_lock, final_result
from app.web import Pager, page, page_number
from scoring.registry import get_rule
from scoring.ruleset import TIE_BREAK_KEYS, Ruleset, ruleset_to_json

AUDIT_PAGE_SIZE = 50
NOTE_MAX = 200


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("There is no competition yet."))
    return competition


def _form_dict(form: Any) -> dict[str, str]:
    return {str(k): str(v)[:200] for k, v in form.items()}


class RulesetController(Controller):
    path = "/panitia/aturan"
    guards = [organiser_only]

    async def _editor(
        self,
        request: Request[Any, Any, Any],
        *,
        errors: dict[int | str, dict[str, str]] | None = None,
        submitted: dict[int, dict[str, str]] | None = None,
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        draft = await rulesets.draft(competition)
        in_force_version, in_force = await ruleset_in_force(competition.id)
        types = await activity_types(competition.id)
        errors = errors or {}
        submitted = submitted or {}
        rules = []
        for index, item in enumerate(rulesets.describe(draft.ruleset)):
            fields = rulesets.param_fields(item["id"], item["params"], types)
            raw = submitted.get(index)
            if raw is not None:
                fields = [
                    dataclasses.replace(
                        f,
                        value=raw.get(f.name, f.value),
                        entries=tuple((n, c, label, raw.get(n, "")) for n, c, label, _ in f.entries),
                    )
                    for f in fields
                ]
            rules.append({**item, "index": index, "fields": fields, "errors": errors.get(index, {})})
        if request.headers.get("hx-request") == "true":
            # htmx swaps only 2xx answers: the form with its errors must replace the editor all the same.
            status_code = 200
        return page(
            request,
            "organiser/rules.html",
            status_code=status_code,
            competition=competition,
            draft=draft,
            rules=rules,
            changed=ruleset_to_json(draft.ruleset) != ruleset_to_json(in_force),
            in_force_version=in_force_version,
            choices=rulesets.rule_choices(),
            tie_break=list(draft.ruleset.tie_break),
            tie_break_choices=[(k, rulesets.tie_break_labels([k])[0]) for k in TIE_BREAK_KEYS],
            tie_break_errors=errors.get("tie_break", {}),
            add_error=errors.get("add", {}).get("rule", ""),
            versions=await rulesets.versions(competition.id),
            render=render,
            locked=await final_lock(competition.id),
        )

    @get("/")
    async def editor(self, request: Request[Any, Any, Any]) -> Template:
        return await self._editor(request)

    async def _store(
        self, user: CurrentUser, competition: CompetitionInfo, ruleset: Ruleset, change: str
    ) -> Redirect:
        await rulesets.save_draft(
            competition, ruleset, actor_id=user.id, actor_name=user.username, change=change
        )
        return Redirect("/panitia/aturan#draf")

    async def _draft_rule(self, index: int) -> tuple[CompetitionInfo, Ruleset]:
        competition = await _competition()
        draft = await rulesets.draft(competition)
        if not 0 <= index < len(draft.ruleset.rules):
            raise NotFoundException(detail=i18n._("That rule is no longer in the draft."))
        return competition, draft.ruleset

    @post("/tambah")
    async def add(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        rule_id = str((await request.form()).get("rule") or "")
        try:
            get_rule(rule_id)
        except KeyError:
            return await self._editor(
                request, errors={"add": {"rule": i18n._("Choose a rule to add.")}}, status_code=422
            )
        draft = await rulesets.draft(competition)
        try:
            ruleset = rulesets.with_rule_added(draft.ruleset, rule_id)
        except Invalid as exc:
            return await self._editor(request, errors={"add": exc.fields}, status_code=422)
        return await self._store(user, competition, ruleset, f"add {rule_id}")

    @post("/kosongkan")
    async def clear(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Redirect:
        competition = await _competition()
        draft = await rulesets.draft(competition)
        return await self._store(user, competition, msgspec.structs.replace(draft.ruleset, rules=()), "clear")

    @post("/batalkan")
    async def discard(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Redirect:
        await rulesets.discard_draft(await _competition(), actor_id=user.id, actor_name=user.username)
        return Redirect("/panitia/aturan")

    @post("/{index:int}/hapus")
    async def remove(
        self, request: Request[Any, Any, Any], index: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Redirect:
        competition, ruleset = await self._draft_rule(index)
        rule_id = ruleset.rules[index].rule
        return await self._store(
            user, competition, rulesets.with_rule_removed(ruleset, index), f"remove {rule_id}"
        )

    @post("/{index:int}/pindah")
    async def move(
        self, request: Request[Any, Any, Any], index: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Redirect:
        competition, ruleset = await self._draft_rule(index)
        offset = -1 if (await request.form()).get("arah") == "naik" else 1
        return await self._store(
            user,
            competition,
            rulesets.with_rule_moved(ruleset, index, offset),
            f"move {index} {offset:+d}",
        )

    @post("/{index:int}/parameter")
    async def params(
        self, request: Request[Any, Any, Any], index: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition, ruleset = await self._draft_rule(index)
        form = _form_dict(await request.form())
        rule_id = ruleset.rules[index].rule
        params, errors = rulesets.params_from_form(rule_id, form)
        # The rule's own validation runs too, so every bad parameter is named at once.
        validated, rule_errors = rulesets.validate_params(rule_id, params)
        errors = {**rule_errors, **errors}
        if errors or validated is None:
            return await self._editor(
                request, errors={index: errors}, submitted={index: form}, status_code=422
            )
        return await self._store(
            user, competition, rulesets.with_params(ruleset, index, validated), f"params {rule_id}"
        )

    @post("/urutan-seri")
    async def tie_break(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        keys = [str(form.get(f"k{i}") or "") for i in range(len(TIE_BREAK_KEYS))]
        draft = await rulesets.draft(competition)
        ruleset, errors = rulesets.with_tie_break(draft.ruleset, keys)
        if ruleset is None:
            return await self._editor(request, errors={"tie_break": errors}, status_code=422)
        return await self._store(user, competition, ruleset, "tie_break")

    @get("/pratinjau")
    async def preview(self, request: Request[Any, Any, Any]) -> Template:
        competition = await _competition()
        draft = await rulesets.draft(competition)
        version, _ = await ruleset_in_force(competition.id)
        rows = await rulesets.preview(competition, draft.ruleset)
        return page(
            request,
            "organiser/preview.html",
            competition=competition,
            rows=rows,
            in_force_version=version,
            draft_rules=rulesets.describe(draft.ruleset),
            moved=sum(1 for r in rows if r.rank_change),
            slow_rules=rulesets.rules_without_fast_path(draft.ruleset),
        )

    @get("/terbitkan")
    async def confirm_publish(self, request: Request[Any, Any, Any]) -> Template:
        competition = await _competition()
        draft = await rulesets.draft(competition)
        version, _ = await ruleset_in_force(competition.id)
        return page(
            request,
            "organiser/confirm_publish.html",
            competition=competition,
            draft_rules=rulesets.describe(draft.ruleset),
            tie_break=rulesets.tie_break_labels(draft.ruleset.tie_break),
            in_force_version=version,
            error=None,
            locked=await final_lock(competition.id),
        )

    @post("/terbitkan")
    async def publish(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        draft = await rulesets.draft(competition)
        version, _ = await ruleset_in_force(competition.id)
        error = None
        if form.get("confirm") != "1":
            error = i18n._("Tick the box to confirm that the new rules take effect at once.")
        elif not draft.ruleset.rules:
            error = i18n._("The draft has no rules: add at least one rule before publishing.")
        if error:
            return page(
                request,
                "organiser/confirm_publish.html",
                status_code=422,
                competition=competition,
                draft_rules=rulesets.describe(draft.ruleset),
                tie_break=rulesets.tie_break_labels(draft.ruleset.tie_break),
                in_force_version=version,
                error=error,
                locked=await final_lock(competition.id),
            )
        note = str(form.get("note") or "").strip()[:NOTE_MAX]
        published = await rulesets.publish(
            competition, draft.ruleset, actor_id=user.id, actor_name=user.username, note=note
        )
        return Redirect(f"/panitia/aturan?terbit={published}")

    @get("/versi/{version:int}")
    async def confirm_restore(self, request: Request[Any, Any, Any], version: FromPath[int]) -> Template:
        competition = await _competition()
        ruleset = await rulesets.version(competition.id, version)
        if ruleset is None:
            raise NotFoundException(detail=i18n._("That ruleset version does not exist."))
        in_force_version, _ = await ruleset_in_force(competition.id)
        return page(
            request,
            "organiser/confirm_restore.html",
            competition=competition,
            version=version,
            in_force_version=in_force_version,
            rules=rulesets.describe(ruleset),
            tie_break=rulesets.tie_break_labels(ruleset.tie_break),
            rows=await rulesets.preview(competition, ruleset),
            error=None,
        )

    @post("/versi/{version:int}")
    async def restore(
        self, request: Request[Any, Any, Any], version: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        ruleset = await rulesets.version(competition.id, version)
        if ruleset is None:
            raise NotFoundException(detail=i18n._("That ruleset version does not exist."))
        form = await request.form()
        if form.get("confirm") != "1":
            in_force_version, _ = await ruleset_in_force(competition.id)
            return page(
                request,
                "organiser/confirm_restore.html",
                status_code=422,
                competition=competition,
                version=version,
                in_force_version=in_force_version,
                rules=rulesets.describe(ruleset),
                tie_break=rulesets.tie_break_labels(ruleset.tie_break),
                rows=await rulesets.preview(competition, ruleset),
                error=i18n._("Tick the box to confirm that the restored rules take effect at once."),
            )
        published = await rulesets.publish(
            competition,
            ruleset,
            actor_id=user.id,
            actor_name=user.username,
            note=i18n._("Restored from version %(version)s") % {"version": version},
            restored_from=version,
        )
        return Redirect(f"/panitia/aturan?terbit={published}")


class ConsoleHomeController(Controller):
    """The organisers' console home: the season at a glance and every section of the console."""

    path = "/panitia"
    guards = [organiser_only]

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        competition = await current_competition()
        summary = await season_overview(competition) if competition is not None else None
        return page(request, "organiser/home.html", competition=competition, overview=summary)


class AuditController(Controller):
    path = "/panitia/audit"
    guards = [organiser_only]

    @get("/")
    async def events(
        self,
        request: Request[Any, Any, Any],
        pelaku: FromQuery[str | None] = None,
        tindakan: FromQuery[str | None] = None,
        objek: FromQuery[str | None] = None,
        id_objek: FromQuery[str | None] = None,
        dari: FromQuery[str | None] = None,
        sampai: FromQuery[str | None] = None,
        halaman: FromQuery[str | None] = None,
        setelah: FromQuery[str | None] = None,
        sebelum: FromQuery[str | None] = None,
    ) -> Template:
        competition = await current_competition()
        timezone = competition.timezone if competition else "Asia/Jakarta"
        values = {
            "pelaku": (pelaku or "")[:64],
            "tindakan": (tindakan or "")[:64],
            "objek": (objek or "")[:32],
            "id_objek": (id_objek or "")[:64],
            "dari": (dari or "")[:16],
            "sampai": (sampai or "")[:16],
        }
        errors: dict[str, str] = {}
        since = audit.parse_moment(values["dari"], timezone)
        until = audit.parse_moment(values["sampai"], timezone, end=True)
        if values["dari"] and since is None:
            errors["dari"] = i18n._("Enter a date such as 2024-02-14.")
        if values["sampai"] and until is None:
            errors["sampai"] = i18n._("Enter a date such as 2024-02-14.")
        f = audit.EventFilter(
            actor=values["pelaku"],
            action=values["tindakan"],
            object_type=values["objek"],
            object_id=values["id_objek"],
            since=since,
            until=until,
        )
        number = page_number(halaman)
        rows, total = await audit.events(
            f,
            (number - 1) * AUDIT_PAGE_SIZE,
            AUDIT_PAGE_SIZE,
            after=parse_id(setelah) if setelah else None,
            before=parse_id(sebelum) if sebelum else None,
        )
        query = urlencode({k: v for k, v in values.items() if v})
        return page(
            request,
            "organiser/audit.html",
            status_code=422 if errors else 200,
            events=rows,
            pager=Pager(number, AUDIT_PAGE_SIZE, total),
            cursors=(rows[0]["id"], rows[-1]["id"]) if rows else None,
            values=values,
            errors=errors,
            base="/panitia/audit?" + (query + "&" if query else ""),
            actors=await audit.distinct_values("actor_name"),
            actions=await audit.distinct_values("action"),
            object_types=await audit.distinct_values("object_type"),
            timezone=timezone,
            action_label=labels.action_label,
            object_label=labels.object_label,
            difference=labels.difference,
        )

    @get("/verifikasi")
    async def verify(self, request: Request[Any, Any, Any]) -> Template:
        report = await audit.verify()
        return page(request, "organiser/audit_verify.html", report=report, verdict=describe(report))


class RulesReferenceController(Controller):
    """ "Aturan penilaian": how points are earned, from the published ruleset and the rules' own docs."""

    path = "/"
    guards = [public]

    @get("/hasil-akhir")
    async def final_results(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[CurrentUser | None]
    ) -> Template:
        competition = await current_competition()
        if competition is not None:
            policy.ensure_board_visible(viewer, competition)
        final = await final_result(competition.id) if competition else None
        return page(request, "organiser/final_public.html", competition=competition, final=final)

    @get("/aturan")
    async def reference(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[CurrentUser | None]
    ) -> Template:
        competition = await current_competition()
        rules: list[dict[str, Any]] = []
        tie_break: list[str] = []
        version = 0
        if competition is not None:
            # A private competition's rules are private like its board (as the API's ruleset is).
            policy.ensure_board_visible(viewer, competition)
            version, ruleset = await ruleset_in_force(competition.id)
            rules = rulesets.describe(ruleset)
            names = type_names(await activity_types(competition.id))
            for rule in rules:
                rule["plain"] = plain(rule["id"], rule["params"], names)
            tie_break = rulesets.tie_break_labels(ruleset.tie_break)
        return page(
            request,
            "organiser/reference.html",
            competition=competition,
            rules=rules,
            tie_break=tie_break,
            version=version,
            render=render,
        )


class AccountConsoleController(Controller):
    """Accounts in bulk and password resets; the list and single-account pages live in app.accounts."""

    path = "/panitia/akun"
    guards = [organiser_only]

    @get("/impor")
    async def import_form(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "organiser/import.html", rows=None, error=None, payload="", created=None)

    @post("/impor")
    async def import_preview(self, request: Request[Any, Any, Any]) -> Template:
        competition = await current_competition()
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return page(
                request,
                "organiser/import.html",
                status_code=422,
                rows=None,
                error=i18n._("Choose a CSV or XLSX file."),
                payload="",
                created=None,
            )
        try:
            records = accounts.read_table(upload.filename, await upload.read())
        except accounts.ImportFileError as exc:
            return page(
                request,
                "organiser/import.html",
                status_code=422,
                rows=None,
                error=str(exc),
                payload="",
                created=None,
            )
        rows = await accounts.validate_rows(competition.id if competition else None, records)
        bad = [r for r in rows if r.errors]
        response = page(
            request,
            "organiser/import.html",
            status_code=422 if bad or not rows else 200,
            rows=rows,
            bad=len(bad),
            error=None if rows else i18n._("The file has no accounts."),
            payload=accounts.rows_payload(rows) if rows and not bad else "",
            created=None,
        )
        # The confirmation form carries the file's rows (passwords included): never keep it in a cache.
        response.headers["Cache-Control"] = "no-store"
        return response

    @post("/impor/simpan")
    async def import_write(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template:
        competition = await current_competition()
        records = accounts.rows_from_payload(str((await request.form()).get("payload") or ""))
        error = None
        rows: list[accounts.ImportRow] = []
        if not records:
            error = i18n._("Nothing to import: upload the file again.")
        else:
            rows = await accounts.validate_rows(competition.id if competition else None, records)
            if any(r.errors for r in rows):
                error = i18n._("Some rows are no longer valid; nothing was written. Check them below.")
        if error is None:
            try:
                created = await accounts.write_rows(rows, actor_id=user.id, actor_name=user.username)
            except Conflict as exc:
                error = exc.message
            else:
                done = page(
                    request, "organiser/import.html", rows=None, error=None, payload="", created=created
                )
                done.headers["Cache-Control"] = "no-store"  # generated passwords are shown once
                return done
        return page(
            request,
            "organiser/import.html",
            status_code=422,
            rows=rows or None,
            bad=sum(1 for r in rows if r.errors),
            error=error,
            payload="",
            created=None,
        )

    @get("/ekspor")
    async def export(self, format: FromQuery[str | None] = None) -> Response[str | bytes]:
        if format == "xlsx":
            return Response(
                await accounts.export_xlsx(),
                media_type=accounts.XLSX,
                headers={"Content-Disposition": 'attachment; filename="akun-sinergi.xlsx"'},
            )
        return Response(
            await accounts.export_csv(),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text/* itself
            headers={"Content-Disposition": 'attachment; filename="akun-sinergi.csv"'},
        )

    @get("/{account_id:int}/sandi")
    async def password_form(self, request: Request[Any, Any, Any], account_id: FromPath[int]) -> Template:
        account = await account_by_id(account_id)
        if account is None:
            raise NotFoundException()
        return page(request, "organiser/password.html", account=account, errors={})

    @post("/{account_id:int}/sandi")
    async def password_reset(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[int],
        user: NamedDependency[CurrentUser],
    ) -> Template | Redirect:
        account = await account_by_id(account_id)
        if account is None:
            raise NotFoundException()
        form = await request.form()
        password = str(form.get("password") or "")[:256]
        errors: dict[str, str] = {}
        if password != str(form.get("password2") or "")[:256]:
            errors["password2"] = i18n._("The two passwords differ.")
        if not errors:
            errors = await accounts.reset_password(
                account_id, password, actor_id=user.id, actor_name=user.username
            )
        if errors:
            return page(request, "organiser/password.html", status_code=422, account=account, errors=errors)
        return Redirect("/panitia/akun?sandi=1")
