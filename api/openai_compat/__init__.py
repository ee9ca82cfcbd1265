"""The OpenAI-compatible API (/v1): the grounded tutor for any chat-completions client.

A learner points a client (Open WebUI, the `openai` SDKs, curl) at `<server>/v1` with a
personal API key (`createApiKey`). Each request runs one tutor turn through the same
machinery as GraphQL's sendMessage (tutor.stream): the same budget, running-answer
limit, ownership, link guard and rows.
"""
