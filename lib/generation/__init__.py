"""Request and result types shared by every image engine and the image service (lib/services/images.py)."""
