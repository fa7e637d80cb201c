"""Course tools for instructors and maintainers: release checks, reports and exports.
"""
