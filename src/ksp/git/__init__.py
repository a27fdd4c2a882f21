"""The one place that runs git: typed results, a shadow repository for everything ksp writes."""
