"""The App Home blocks for closing the loop (issue 13): the learning record link and the reminders switch. Pure."""


def record_blocks(url: str) -> list[dict]:
    button = {
        "type": "button",
        "action_id": "home_record",
        "url": url,
        "text": {"type": "plain_text", "text": "Open my learning record"},
    }
    return [
        {
            "type": "section",
            "block_id": "home_record",
            "text": {
                "type": "mrkdwn",
                "text": "*My learning record:* your lessons, answers, reflections and follow-ups, "
                "with a PDF for your CPD record or revalidation. Only you can open it; from there you can "
                "share part of it with your supervisor, and stop sharing.",
            },
            "accessory": button,
        }
    ]


def reminder_switch_blocks(on: bool) -> list[dict]:
    state = "on" if on else "off"
    button = {
        "type": "button",
        "action_id": "home_reminders",
        "value": "off" if on else "on",
        "text": {"type": "plain_text", "text": "Turn reminders off" if on else "Turn reminders on"},
    }
    return [
        {
            "type": "section",
            "block_id": "home_reminders",
            "text": {
                "type": "mrkdwn",
                "text": f"*Reminders are {state}.* When on, a lesson you have not answered gets one "
                "short reminder a few working days later; never more than one.",
            },
            "accessory": button,
        },
    ]
