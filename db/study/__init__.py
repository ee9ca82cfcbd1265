"""The frame of study: topics and study sessions."""
