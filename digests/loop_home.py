"""The App Home blocks for closing the loop (issue 13): the reminders switch. Pure."""


def reminder_switch_blocks(on: bool) -> list[dict]:
    state = "on" if on else "off"
    button = {"type": "button", "action_id": "home_reminders", "value": "off" if on else "on",
              "text": {"type": "plain_text", "text": "Turn reminders off" if on else "Turn reminders on"}}
    return [
        {"type": "section", "block_id": "home_reminders",
         "text": {"type": "mrkdwn", "text": f"*Reminders are {state}.* When on, a lesson you have not answered gets one "
                                            "short reminder a few working days later; never more than one."},
         "accessory": button},
    ]
