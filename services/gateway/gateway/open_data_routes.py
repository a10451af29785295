"""An edition's open data (mixed into the gateway service): counts, public once the edition is over.

Registration is asked first, because it owns the edition's dates and status
and so decides whether the data is published (or whether the caller may see
a preview); booths and meetings then give their counts.  Nothing in it names
a person: see :mod:`shared.open_data`.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.edge import actor
from gateway.http import api
from gateway.request import Request
from shared.open_data import to_csv
from shared.rpc import ServiceRpc


class OpenDataRoutes:
    registration = ServiceRpc("registration")
    booths = ServiceRpc("booths")
    meetings = ServiceRpc("meetings")

    def _open_data(self, request: Request, edition_id: str) -> dict[str, Any]:
        found = self.registration.open_data(actor(request), edition_id)
        return {**found, "booths": self.booths.open_data(edition_id), "b2b": self.meetings.open_data(edition_id)}

    @api(
        "GET",
        "/v1/editions/<edition_id>/open-data",
        summary="Open data: registrations, booths, B2B meetings and MOUs counted by province, sector, OCOP stars "
        "and more; public once the edition is over (organisers, ops and provinces may preview it)",
        auth="optional",
        response=s.OpenData,
        description="Anyone once the edition is over (before that, its organisers, ops and provinces see a preview "
        "with published false; others get 409 open_data_not_yet with published_after): counts only, never a "
        "person.",
        tags=("open data",),
    )
    def open_data(self, request: Request, edition_id: str):
        return self._open_data(request, edition_id)

    @api(
        "GET",
        "/v1/editions/<edition_id>/open-data.csv",
        summary="The same open data as CSV, one number per line (edition_id, measure, dimension, key, value)",
        auth="optional",
        description="The same counts and the same rule of who may see them as GET open-data, as a CSV download "
        "(edition_id, measure, dimension, key, value), one number per line.",
        tags=("open data",),
        produces="text/csv",
    )
    def open_data_csv(self, request: Request, edition_id: str):
        found = self._open_data(request, edition_id)
        measures = {
            "participants": found["participants"],
            "booths": found["booths"],
            "meetings": {"sessions": found["b2b"]["sessions"], **found["b2b"]["meetings"]},
            "mous": found["b2b"]["mous"],
        }
        return Response(
            to_csv(edition_id, measures).encode("utf-8"),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{edition_id}-open-data.csv"'},
        )
