"""The bureau's console and downloads (/bureau)."""

from flask import Blueprint, render_template

from ..auth import bureau_required

bp = Blueprint("bureau", __name__, url_prefix="/bureau")


@bp.route("/login", methods=["GET", "POST"])
def login():
    return render_template("error.html", title="教育局登录", message="建设中")


@bp.route("/")
@bureau_required
def dashboard():
    return render_template("error.html", title="工作台", message="建设中")
