"""Study material: uploads, extraction into citable chunks, search, the sweeper."""
