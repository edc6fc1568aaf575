"""Running the bot as a service: the embedded supervisor (`bot run`), the demo website, the production shape behind
nginx with its throw-away local services, and the container and Kubernetes files (README.md here)."""
