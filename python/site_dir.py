"""Prints where, under PREFIX (argv[1]), this Python looks for packages, relative to PREFIX
(or nothing when it looks nowhere under it): meson install puts the package there, so that
the system's Python finds it. Run by python/meson.build at configure time."""
import os
import site
import sys

prefix = os.path.normpath(sys.argv[1])
dirs = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
if site.ENABLE_USER_SITE:
    dirs.append(site.getusersitepackages())  # searched once it exists (~/.local)
for d in dirs:
    d = os.path.normpath(d)
    if d.startswith(prefix + os.sep):
        print(os.path.relpath(d, prefix))
        break
