"""Chat: messages, turns and their lifecycle rows, budgets, history."""
