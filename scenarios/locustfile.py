"""All four corrected shopfront users in one mix (weights 4:2:3:1): the demo's load."""

from file_workflow import FlaskFileWorkflowUser
from jwt_api import FlaskApiUser
from public_pages import FlaskPublicUser
from session_login import FlaskAuthenticatedUser

__all__ = ["FlaskApiUser", "FlaskAuthenticatedUser", "FlaskFileWorkflowUser", "FlaskPublicUser"]
