"""The school's pages: login, the declaration task list and its sections (/school)."""

from flask import Blueprint, render_template

from ..auth import school_required

bp = Blueprint("school", __name__, url_prefix="/school")


@bp.route("/login", methods=["GET", "POST"])
def login():
    return render_template("error.html", title="学校登录", message="建设中")


@bp.route("/")
@school_required
def index():
    return render_template("error.html", title="任务清单", message="建设中")
