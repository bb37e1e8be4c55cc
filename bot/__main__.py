from bot.cli import main

# Guarded: `mentorbot serve` starts its jobs process with multiprocessing's "spawn", which
# imports the main module of the parent again.
if __name__ == "__main__":
    raise SystemExit(main())
