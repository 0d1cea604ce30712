"""The front doors: JSON API, Gradio chat, HTTP server and command line, all calling the assistant service."""
