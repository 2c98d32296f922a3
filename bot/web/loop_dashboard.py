"""The dashboard's "closing the loop" page (issue 13): reminders, commitments, follow-ups and barriers, and
impact at 3, 6 and 12 months (issue 17), from the same suppressed tables as `lessonloop loop stats|impact`
and the digest, behind the same sign-in and scope."""

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.core.loop_figures import followup_barriers, impact_table, loop_table
from bot.web.dashboard import _guarded, csv_download  # one sign-in and scope check for every dashboard page
from digests.loop_tables import LoopTable, loop_csv, loop_dict
from digests.render import render
from schedules.statistics import DIMENSIONS

router = APIRouter()


@router.get("/dashboard/loop", response_class=HTMLResponse)
def loop_page(request: Request, team: str | None = None, by: str = "week"):
    start, end = request.query_params.get("from"), request.query_params.get("to")

    def build(service, session, who, where):
        table = loop_dict(loop_table(service, session, by=by, where=where))
        query = "&".join(f"{k}={v}" for k, v in (("from", start), ("to", end), ("team", team)) if v)
        return HTMLResponse(
            render(
                "pages/loop_dashboard.html.j2",
                who=who,
                table=table,
                total=table["total"],
                impact=loop_dict(impact_table(service, session, by=by, where=where)),
                barriers=followup_barriers(service, session, where=where),
                dimensions=DIMENSIONS,
                min_cell=service.settings.min_cell,
                query=query,
            )
        )

    return _guarded(request, start, end, team, build)


@router.get("/dashboard/loop/{by}.csv")
def loop_table_csv(request: Request, by: str, team: str | None = None):
    return _figures_csv(request, team, loop_table, by, f"lessonloop-loop-{by}.csv")


@router.get("/dashboard/impact/{by}.csv")
def impact_table_csv(request: Request, by: str, team: str | None = None):
    return _figures_csv(request, team, impact_table, by, f"lessonloop-impact-{by}.csv")


def _figures_csv(request: Request, team: str | None, figures: Callable[..., LoopTable], by: str, filename: str):
    start, end = request.query_params.get("from"), request.query_params.get("to")

    def build(service, session, who, where):
        return csv_download(loop_csv(figures(service, session, by=by, where=where)), filename)

    return _guarded(request, start, end, team, build)
