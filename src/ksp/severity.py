"""Severity from a CVSS vector, through the `cvss` library (CVSS 3.x and 4.0)."""

from __future__ import annotations

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from ksp.model import Rating, Severity


class BadVector(ValueError):
    """The vector is not a CVSS 3.x or 4.0 vector the library accepts."""


def from_vector(vector: str) -> Severity:
    """Base score and qualitative rating of a CVSS 3.0/3.1/4.0 vector."""
    text = vector.strip()
    try:
        if text.startswith("CVSS:3."):
            c3 = CVSS3(text)
            return Severity(Rating(c3.severities()[0].upper()), float(c3.scores()[0]), text)
        if text.startswith("CVSS:4.0/"):
            c4 = CVSS4(text)
            return Severity(Rating(str(c4.severity).upper()), float(c4.base_score), text)
    except (CVSSError, ValueError, KeyError) as exc:
        raise BadVector(f"not a valid CVSS vector: {exc}") from None
    raise BadVector("not a CVSS vector (expected CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/…)")


def disagreement(stated: Severity, vector: str) -> str | None:
    """Why `stated` (rating, optional score) does not match the vector, or None if it does."""
    computed = from_vector(vector)
    if stated.rating is not computed.rating:
        return (f"severity {stated.rating} disagrees with the CVSS vector, which gives "
                f"{computed.rating} ({computed.score})")
    if stated.score is not None and computed.score is not None \
            and abs(stated.score - computed.score) > 0.05:
        return (f"score {stated.score} disagrees with the CVSS vector, which gives "
                f"{computed.score}")
    return None


def render(severity: Severity) -> str:
    """The header form: `MEDIUM (CVSS 6.7)` or `MEDIUM`."""
    if severity.score is None:
        return str(severity.rating)
    return f"{severity.rating} (CVSS {severity.score:.1f})"
