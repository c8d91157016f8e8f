"""What the EPCIS route answers: an EPCIS 2.0 document (JSON-LD), described for OpenAPI.

The body itself is GS1's: tests/data/epcis/EPCIS-JSON-Schema.json is the schema it is checked
against; these models name its envelope so a client sees its shape in /openapi.json.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cloud_hub.http.bodies import Body


class EpcisBody(Body):
    eventList: list[dict[str, Any]] = Field(
        description="ObjectEvents and AggregationEvents, in event time order (GS1 EPCIS 2.0)")


class EpcisDocument(Body):
    """An EPCISDocument: GS1's JSON-LD context, the schema version, when it was made, and its
    events (docs/epcis.md says how moves map onto them)."""

    context: list[str] = Field(alias="@context",
                               examples=[["https://ref.gs1.org/standards/epcis/2.0.0/"
                                          "epcis-context.jsonld"]])
    type: str = Field(examples=["EPCISDocument"])
    schemaVersion: str = Field(examples=["2.0"])
    creationDate: str = Field(examples=["2026-11-01T08:00:00.000000Z"])
    epcisBody: EpcisBody
