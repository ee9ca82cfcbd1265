"""The tutor agent (OpenAI Agents SDK): prompts, tools, model providers, turn runner."""
