"""Labs 8–9's chat models as of December 2026 (issue 15): Claude Sonnet 4.6 added, every row's lifecycle checked
against the reference (bedrock-models.md §3.1, §5, §6.1; workshop-labs.md §11)."""

from __future__ import annotations

import pytest

from lib.catalog import CHAT_MODELS, Status, get_chat_model
from test_pages import errors, open_app

SONNET_46 = "anthropic.claude-sonnet-4-6"
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
CLAUDE_3 = "anthropic.claude-3-sonnet-20240229-v1:0"
LAB8, LAB9 = "pages/8_image_understanding.py", "pages/9_multimodal_chatbot.py"


def test_sonnet_46_is_active_through_its_us_and_global_profiles_at_sonnet_45s_price():
    sonnet = get_chat_model(SONNET_46)
    assert sonnet.label == "Claude Sonnet 4.6" and sonnet.provider == "Anthropic"
    assert sonnet.lifecycle.status is Status.ACTIVE and sonnet.lifecycle.callable_today
    assert sonnet.inference_profile_prefix == "us" and sonnet.profile_geos == ("us", "global")
    assert sonnet.in_geo("global").inference_profile_prefix == "global"
    assert sonnet.price == get_chat_model(SONNET_45).price  # §5: "Claude Sonnet 4.5 / 4.6", $3.30 / $16.50 regional
    assert (sonnet.price.input_per_million, sonnet.price.output_per_million) == (3.30, 16.50)


@pytest.mark.parametrize(("model_id", "status", "end_of_life", "said"), [
    (HAIKU_45, Status.ACTIVE, None, "no sooner than 2026-10-01"),  # §6.1: active, may turn Legacy at any time
    (SONNET_46, Status.ACTIVE, None, ""),
    (SONNET_45, Status.LEGACY, "2027-04-08", "Legacy from 2026-10-08"),  # workshop-labs §11
    (CLAUDE_3, Status.END_OF_LIFE, "2026-07-30", "Legacy from 2026-01-30"),  # §0: no longer listed
])
def test_each_claude_rows_lifecycle(model_id, status, end_of_life, said):
    row = get_chat_model(model_id)
    assert row.lifecycle.status is status and row.lifecycle.end_of_life == end_of_life
    assert said in row.lifecycle.note


def test_the_default_chat_model_is_still_the_first_callable_one():
    callable_rows = [m.id for m in CHAT_MODELS if m.lifecycle.callable_today and not m.runs_locally]
    assert callable_rows[0] == HAIKU_45 and SONNET_46 in callable_rows


def test_lab8_answers_with_sonnet_46_through_the_global_profile(aws_env):
    at = open_app(LAB8)
    at.selectbox(key="lab8_model").set_value(SONNET_46).run()
    assert any("`anthropic.claude-sonnet-4-6`" in c.value and "called as `us.anthropic.claude-sonnet-4-6`" in c.value
               for c in at.caption)
    at.radio(key=f"lab8_model_geo_{SONNET_46}").set_value("global").run()
    at.button(key="lab8_go").click().run()
    assert errors(at) == ""
    call = aws_env.calls[-1]
    assert call.operation == "converse_stream" and call.model_id == f"global.{SONNET_46}"
    assert any("tokens in" in c.value for c in at.caption)


def test_lab8_says_haikus_announced_end_of_life_beside_the_pick(aws_env):
    at = open_app(LAB8)
    assert at.selectbox(key="lab8_model").value == HAIKU_45
    assert any("no sooner than 2026-10-01" in c.value for c in at.caption)


def test_lab9_chats_with_sonnet_46_through_its_us_profile(aws_env):
    at = open_app(LAB9)
    assert "Claude Sonnet 4.6" in at.selectbox(key="lab9_model").options
    at.selectbox(key="lab9_model").set_value(SONNET_46).run()
    at.chat_input(key="lab9_input").set_value("Say hi").run()
    assert errors(at) == ""
    assert aws_env.calls[-1].model_id == f"us.{SONNET_46}"
