"""Built-in plugins: registered exactly the way third-party ones are."""
