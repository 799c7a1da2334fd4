#!/bin/sh
# `make demo`: the development server with the background worker beside it; the worker stops
# when the server does (docs/tasks.md, "The worker").
# Usage: scripts/serve_with_worker.sh PATH/TO/turnpoint HOST:PORT
turnpoint=$1
address=$2
"$turnpoint" worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker"' EXIT
trap 'exit 130' INT TERM
"$turnpoint" runserver "$address"
