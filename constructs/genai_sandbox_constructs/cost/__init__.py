"""What a sandbox may cost: a monthly budget of the project."""
