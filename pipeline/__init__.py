"""The user's entry: CLI, ELF loader, mock kernel and executors (DESIGN §2, §7)."""
