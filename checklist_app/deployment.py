"""Read the deployment's configuration file (`county.toml`) into a `schemas.deployment.Deployment`.

`county.toml` at the repository root unless CHECKLIST_CONFIG names another file. The site build
(the MkDocs hook) and the app both call `load()`, so both say the same bureau name. No Flask here.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import ValidationError

from schemas.deployment import Deployment, problems

CONFIG_ENV = "CHECKLIST_CONFIG"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "county.toml"


class DeploymentError(ValueError):
    """A configuration file that is missing, unreadable or breaks the model; the message is Chinese."""


def config_path(environ=os.environ) -> Path:
    named = environ.get(CONFIG_ENV, "").strip()
    return Path(named) if named else DEFAULT_PATH


def load(path: str | Path | None = None) -> Deployment:
    """The deployment's configuration, or DeploymentError saying in Chinese what is wrong."""
    path = Path(path) if path is not None else config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeploymentError(f"找不到部署配置文件 {path}（可用环境变量 {CONFIG_ENV} 指定）") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DeploymentError(f"无法读取部署配置文件 {path}：{error}") from None
    except tomllib.TOMLDecodeError as error:
        raise DeploymentError(f"部署配置文件 {path} 不是有效的 TOML：{error}") from None
    try:
        return Deployment.model_validate(data)
    except ValidationError as error:
        raise DeploymentError(f"部署配置文件 {path} 有误：" + "；".join(problems(error)) + "。") from None
