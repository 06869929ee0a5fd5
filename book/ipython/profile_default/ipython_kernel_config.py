# Kernels that execute the book's notebooks (IPYTHONDIR is set by book/_ext/rectifiers_book.py).
# Output that C/C++ libraries write straight to the process's stderr (TensorFlow's start-up log: "Could not find
# cuda drivers", ...) stays in the build log instead of becoming a cell output, so that a strict build still
# fails on Python warnings and errors, which go through sys.stderr.
c = get_config()  # noqa: F821 - provided by IPython's config loader
c.IPKernelApp.capture_fd_output = False
# Live sessions (`make lab`): record glued values so that the working copies' prose can show them
# (rectifiers/lab.py); in a book build the extension only keeps a dictionary of what was glued.
c.InteractiveShellApp.extensions = ["rectifiers.lab"]
