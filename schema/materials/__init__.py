"""Study material: uploads, processing status, search and citations."""
