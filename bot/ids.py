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
HOME_ADMIN_ORG_IMPORT = "home_admin_org_import"

# Admin: program modal
PROGRAM_CALLBACK = "admin_program"
B_PROGRAM_NAME, A_PROGRAM_NAME = "program_name", "name"
B_PROGRAM_START, A_PROGRAM_START = "program_start", "start"
B_PROGRAM_LENGTH, A_PROGRAM_LENGTH = "program_length", "length"
B_PROGRAM_CADENCE, A_PROGRAM_CADENCE = "program_cadence", "cadence"
B_PROGRAM_WEEKDAY, A_PROGRAM_WEEKDAY = "program_weekday", "weekday"
B_PROGRAM_TIME, A_PROGRAM_TIME = "program_time", "time"
B_PROGRAM_CHANNEL, A_PROGRAM_CHANNEL = "program_channel", "channel"
B_PROGRAM_DEPARTMENTS, A_PROGRAM_DEPARTMENTS = "program_departments", "departments"
B_PROGRAM_INVITE, A_PROGRAM_INVITE = "program_invite", "invite"

# Admin: importing HR's people file from Slack (a file_input, one CSV)
ORG_IMPORT_CALLBACK = "admin_org_import"
ORG_IMPORT_DONE_CALLBACK = "admin_org_import_done"
B_ORG_FILE, A_ORG_FILE = "org_file", "file"

# Admin: closing a program early (private_metadata: the program id)
CLOSE_CALLBACK = "admin_close_program"

# Sign-up: which program (when several are open) and the next-round choice
B_JOIN_PROGRAM, A_JOIN_PROGRAM = "signup_program", "program"
B_NEXT_ROUND, A_NEXT_ROUND = "signup_next_round", "next_round"
NEXT_ROUND_YES = "yes"

# Confidence in each topic someone wants to learn (block per topic: confidence_<n>)
CONFIDENCE_CALLBACK = "confidence"
CONFIDENCE_OPEN = "confidence_open"  # DM button (value: {"p": program id, "phase": ...})
A_CONFIDENCE = "rating"


def confidence_block(index: int) -> str:
    return f"confidence_{index}"


# Wrap-up: "invite me to the next round" (either person of the pair clicks for themselves)
NEXT_ROUND_OPT_IN = "next_round_opt_in"

# Next round: the Join button in an invitation DM (value: the program id)
NEXT_ROUND_JOIN = "next_round_join"
B_PROGRAM_RULES, A_PROGRAM_RULES = "program_rules", "rules"
RULE_DIFFERENT_DEPARTMENTS = "different_departments"

# Admin: matching proposal message
MATCH_APPROVE = "match_approve"
MATCH_RERUN = "match_rerun"
MATCH_EXCLUDE = "match_exclude"

# Check-in message buttons (value: the check-in id)
CHECKIN_MET = "checkin_met"
CHECKIN_LATER = "checkin_later"
CHECKIN_SKIP = "checkin_skip"
CHECKIN_FEEDBACK = "checkin_feedback"
CHECKIN_THUMBS_UP = "checkin_thumbs_up"
CHECKIN_THUMBS_DOWN = "checkin_thumbs_down"
CHECKIN_SURVEY = "checkin_survey"

# Feedback modal
FEEDBACK_CALLBACK = "checkin_feedback"
B_FB_MET, A_FB_MET = "fb_met", "met"
B_FB_USEFUL, A_FB_USEFUL = "fb_useful", "useful"
B_FB_LEARNED, A_FB_LEARNED = "fb_learned", "learned"
B_FB_CANDOUR, A_FB_CANDOUR = "fb_candour", "candour"
B_FB_BLOCKERS, A_FB_BLOCKERS = "fb_blockers", "blockers"
B_FB_QUOTE, A_FB_QUOTE = "fb_quote", "quote"
A_FB_GOAL = "goal_progress"


def feedback_goal_block(goal_id: int) -> str:
    return f"fb_goal_{goal_id}"


# Survey modal
SURVEY_CALLBACK = "survey"
B_SV_RECOMMEND, A_SV_RECOMMEND = "sv_recommend", "recommend"
B_SV_ATTAINMENT, A_SV_ATTAINMENT = "sv_attainment", "attainment"
B_SV_CHANGED, A_SV_CHANGED = "sv_changed", "changed"
B_SV_QUOTE, A_SV_QUOTE = "sv_quote", "quote"

# Pairing fit (asked privately after the first meeting)
FIT_WORKS = "fit_works"
FIT_REPAIR = "fit_repair"
# HR's at-risk note: value is the pair id.
AT_RISK_MESSAGE = "at_risk_message"
AT_RISK_REPAIR = "at_risk_repair"
AT_RISK_DISMISS = "at_risk_dismiss"
REPAIR_CALLBACK = "fit_repair"
B_REPAIR_REASON, A_REPAIR_REASON = "repair_reason", "reason"

# Meeting time (button value: "<meeting id>:<version>", so a button from before a change is stale)
MEETING_CONFIRM = "meeting_confirm"
MEETING_SUGGEST = "meeting_suggest"
MEETING_CHANGE = "meeting_change"
MEETING_MOVE = "meeting_move"
MEETING_CANCEL_WEEK = "meeting_cancel_week"
MEETING_PICK_CALLBACK = "meeting_pick"
MEETING_ANYWAY_CALLBACK = "meeting_anyway"
B_MEETING_OPTION, A_MEETING_OPTION = "meeting_option", "option"
B_MEETING_DAY, A_MEETING_DAY = "meeting_day", "day"
B_MEETING_TIME, A_MEETING_TIME = "meeting_time", "time"
MEETING_OTHER = "other"
MEETING_NOTICE_CALLBACK = "meeting_notice"
