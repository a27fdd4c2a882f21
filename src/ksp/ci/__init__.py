"""CI engine integration: the job matrix, generated GitHub Actions and Prow definitions, and the
check that scanners honour the `ksp vex` document."""
