"""Chinese error pages for the app's own paths (the site has its own 404 page)."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .templating import login_wait_minutes

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理。请返回上一页，刷新后重新填写。"),
    403: ("无权访问", "您没有访问此页面的权限。学校只能查看本校的数据，教育局页面需要教育局账号登录。"),
    404: ("页面不存在", "您访问的页面不存在或已被移除。请检查网址是否正确。"),
    405: ("请求方式不正确", "此页面不接受这种请求方式。"),
    413: ("提交的内容过大", "提交的内容超过了大小限制。请缩小文件后重试。"),
    429: ("尝试次数过多", "登录失败次数过多，请 {login_wait_minutes} 分钟后再试。"),
    500: ("系统出错", "服务器处理时出错，您的填写没有被保存。请稍后重试；如仍有问题，请联系教育局。"),
}


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    message = detail or message.format(login_wait_minutes=login_wait_minutes())
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "表单已失效（可能停留时间过长或缺少安全校验码）。请返回上一页，刷新后重新提交。")

    @app.errorhandler(HTTPException)
    def http_error(error):
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def server_error(error):
        app.logger.exception("unhandled error")
        return render_error(500)
