"""The shipped registrar modules (the domains app's registrar interface), found through the
`moorage.registrars` entry points."""
