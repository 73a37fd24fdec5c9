"""Build the system: recipes, plans, step state, the runner, stages, the chroot."""
