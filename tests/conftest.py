import os

# Keep tests off any data the user downloaded and away from plotting back-ends with a screen.
os.environ.setdefault("MPLBACKEND", "Agg")
