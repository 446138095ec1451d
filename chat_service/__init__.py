"""Folio's chat service: answers a reader's questions about the article they read, streamed as SSE.

Run it with `python -m chat_service [--host 127.0.0.1] [--port 8001]`; settings come from the environment
(see chat_service.config). The protocol is described in chat_service.app and the README.
"""
