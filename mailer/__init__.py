"""The shared email core: every mail the product sends goes through here (DESIGN section 5)."""
