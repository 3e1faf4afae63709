"""The payment gateway modules shipped with Moorage (found through the `moorage.gateways` entry points)."""
