"""Callback, block and action ids: one place, so views and handlers cannot drift apart."""

COMMAND = "/mentoring"

# Sign-up modal
SIGNUP_CALLBACK = "signup"
B_ROLE, A_ROLE = "signup_role", "role"
B_EXPERIENCE, A_EXPERIENCE = "signup_experience", "experience"
B_DEPARTMENT, A_DEPARTMENT = "signup_department", "department"
B_MANAGER, A_MANAGER = "signup_manager", "manager"
B_SHARE_TOPICS, A_SHARE_TOPICS = "signup_share_topics", "share_topics"
B_SHARE_OTHER, A_SHARE_OTHER = "signup_share_other", "share_other"
B_LEARN_TOPICS, A_LEARN_TOPICS = "signup_learn_topics", "learn_topics"
B_LEARN_OTHER, A_LEARN_OTHER = "signup_learn_other", "learn_other"
B_TIMEZONE, A_TIMEZONE = "signup_timezone", "timezone"
B_DAYS, A_DAYS = "signup_days", "days"
B_TIME_OF_DAY, A_TIME_OF_DAY = "signup_time_of_day", "time_of_day"
B_MEETING_LENGTH, A_MEETING_LENGTH = "signup_meeting_length", "meeting_length"
B_CONSENT, A_CONSENT = "signup_consent", "consent"
CONSENT_QUOTE = "quote"

# Goal fields: the sign-up modal has slot 0; the goals modal has slots 0..2.
GOALS_CALLBACK = "goals"
MAX_GOALS = 3


def goal_block(field: str, slot: int) -> str:
    """Block id of one goal field in one slot, e.g. goal_description_1."""
    return f"goal_{field}_{slot}"


A_GOAL = {
    "category": "goal_category",
    "description": "goal_description",
    "measure": "goal_measure",
    "target": "goal_target",
    "progress": "goal_progress",
    "state": "goal_state",
}

# Confirmations
LEAVE_CALLBACK = "confirm_leave"
DELETE_CALLBACK = "confirm_delete"

# App Home buttons
HOME_EDIT_PROFILE = "home_edit_profile"
HOME_EDIT_GOALS = "home_edit_goals"
HOME_PAUSE = "home_pause"
HOME_RESUME = "home_resume"
HOME_ADMIN_PROGRAM = "home_admin_program"
HOME_ADMIN_MATCH = "home_admin_match"
HOME_ADMIN_REPORT = "home_admin_report"

# Admin: program modal
PROGRAM_CALLBACK = "admin_program"
B_PROGRAM_NAME, A_PROGRAM_NAME = "program_name", "name"
B_PROGRAM_START, A_PROGRAM_START = "program_start", "start"
B_PROGRAM_LENGTH, A_PROGRAM_LENGTH = "program_length", "length"
B_PROGRAM_CADENCE, A_PROGRAM_CADENCE = "program_cadence", "cadence"
B_PROGRAM_WEEKDAY, A_PROGRAM_WEEKDAY = "program_weekday", "weekday"
B_PROGRAM_TIME, A_PROGRAM_TIME = "program_time", "time"
B_PROGRAM_CHANNEL, A_PROGRAM_CHANNEL = "program_channel", "channel"

# Admin: matching proposal message
MATCH_APPROVE = "match_approve"
MATCH_RERUN = "match_rerun"
MATCH_EXCLUDE = "match_exclude"
