"""Programme definitions: public to every signed-in role, since they hold no participant data."""

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Query, Router

from turnpoint.programmes.models import Phase, Programme

from .common import OutSchema, PageQuery, page, refuse_oracles, responses

router = Router(tags=["programmes"])


class PhaseOut(OutSchema):
    number: int
    name: str
    description: str
    min_weeks: int
    contacts_per_week: float
    tests_per_week: float
    reviews_per_month: float


class ExitTypeOut(OutSchema):
    code: str
    label: str | None = None
    outcome: str | None = None


class ProgrammeOut(OutSchema):
    slug: str
    name: str
    jurisdiction: str
    stage: str
    legal_basis: str
    description: str
    max_duration_weeks: int
    court_receives_test_results: bool
    non_completion_penalised: bool
    review_mode: str
    revision: int
    exit_types: list[ExitTypeOut]
    phases: list[PhaseOut]


class ProgrammePage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[ProgrammeOut]


def _programmes():
    return Programme.objects.prefetch_related(
        Prefetch("phases", queryset=Phase.objects.order_by("number"))
    )


def _dump(programme: Programme) -> dict:
    return {
        **{f: getattr(programme, f) for f in ProgrammeOut.model_fields if f != "phases"},
        "phases": list(programme.phases.all()),
    }


@router.get("", response=responses({200: ProgrammePage}, 400), summary="List programmes")
def list_programmes(request: HttpRequest, query: Query[PageQuery]):
    refuse_oracles(request, query, None, on={})
    return page(_programmes(), query, lambda rows: [_dump(p) for p in rows])


@router.get("/{slug}", response=responses({200: ProgrammeOut}, 404), summary="Read a programme")
def get_programme(request: HttpRequest, slug: str):
    programme = _programmes().filter(slug=slug).first()
    if programme is None:
        raise Http404("No such programme")
    return _dump(programme)
