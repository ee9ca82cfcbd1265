"""The tutor agent (OpenAI Agents SDK): prompts, tools, model providers, turn runner.

Empty until the chat work lands; `db/` already has the message table it writes to.
"""
