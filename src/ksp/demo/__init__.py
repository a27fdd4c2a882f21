"""`ksp demo`: a made-up Go upstream, a patches repo, and the whole journey run for real."""
