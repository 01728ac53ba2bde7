"""Helpers for tests that talk to consumers through channels' WebsocketCommunicator."""

from __future__ import annotations


async def answer_to_frame(communicator, frame: dict) -> tuple[dict, dict]:
    """Send one frame on an open socket; return the JSON answer and the output that follows."""
    await communicator.send_to(**frame)
    answer = await communicator.receive_json_from()
    after = await communicator.receive_output()
    await communicator.wait()
    return answer, after
