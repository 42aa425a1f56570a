"""The staff pledge, reached from a school's link or QR code (/pledge/<token>)."""

from flask import Blueprint, abort

bp = Blueprint("pledge", __name__, url_prefix="/pledge")


@bp.route("/<token>", methods=["GET", "POST"])
def form(token: str):
    abort(404)
