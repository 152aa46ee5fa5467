"""Image generation and variation: request dataclasses, one adapter per model family, a service."""
