"""The browser chat (Gradio) over `rag.Index`: `rag serve` starts it, `ui.app.build` makes it."""
