"""A fake Taobao Open Platform gateway for tests: a real HTTP server on loopback."""
